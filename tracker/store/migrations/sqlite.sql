CREATE TABLE http_validator (
	url VARCHAR NOT NULL, 
	etag VARCHAR, 
	last_modified VARCHAR, 
	sha256 VARCHAR NOT NULL, 
	PRIMARY KEY (url)
);
CREATE TABLE outbox (
	id INTEGER NOT NULL, 
	"key" VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	subject VARCHAR NOT NULL, 
	message BLOB NOT NULL, 
	sent_at DATETIME, 
	attempts INTEGER NOT NULL, 
	last_error VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE ("key")
);
CREATE TABLE record_version (
	id INTEGER NOT NULL, 
	code VARCHAR NOT NULL, 
	digest VARCHAR NOT NULL, 
	data VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (digest)
);
CREATE INDEX ix_record_version_code ON record_version (code);
CREATE TABLE release (
	id INTEGER NOT NULL, 
	code_set VARCHAR NOT NULL, 
	label VARCHAR NOT NULL, 
	base_label VARCHAR NOT NULL, 
	revision INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	effective DATE NOT NULL, 
	source_name VARCHAR NOT NULL, 
	sha256 VARCHAR NOT NULL, 
	content_digest VARCHAR NOT NULL, 
	codes INTEGER NOT NULL, 
	imported_at DATETIME NOT NULL, 
	released DATE, 
	reported BOOLEAN NOT NULL, 
	members BLOB NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (code_set, label)
);
CREATE INDEX ix_release_code_set ON release (code_set);
CREATE INDEX ix_release_content_digest ON release (content_digest);
CREATE TABLE run (
	id INTEGER NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	"trigger" VARCHAR NOT NULL, 
	outcome VARCHAR NOT NULL, 
	releases_found INTEGER NOT NULL, 
	imported VARCHAR NOT NULL, 
	reports VARCHAR NOT NULL, 
	emails_sent INTEGER NOT NULL, 
	error VARCHAR NOT NULL, 
	kind VARCHAR DEFAULT 'check' NOT NULL, 
	note VARCHAR DEFAULT '' NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE watchlist (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	version INTEGER NOT NULL, 
	loaded_at DATETIME NOT NULL, 
	source VARCHAR NOT NULL, 
	sha256 VARCHAR NOT NULL, 
	content_digest VARCHAR NOT NULL, 
	code_column VARCHAR NOT NULL, 
	other_columns VARCHAR NOT NULL, 
	codes INTEGER NOT NULL, 
	rows INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name, version)
);
CREATE INDEX ix_watchlist_name ON watchlist (name);
CREATE TABLE copy_disagreement (
	id INTEGER NOT NULL, 
	release_id INTEGER NOT NULL, 
	code VARCHAR NOT NULL, 
	field VARCHAR NOT NULL, 
	text VARCHAR NOT NULL, 
	workbook VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(release_id) REFERENCES release (id)
);
CREATE INDEX ix_copy_disagreement_release_id ON copy_disagreement (release_id);
CREATE TABLE watchlist_entry (
	id INTEGER NOT NULL, 
	watchlist_id INTEGER NOT NULL, 
	"row" INTEGER NOT NULL, 
	code VARCHAR NOT NULL, 
	other_columns VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(watchlist_id) REFERENCES watchlist (id)
);
CREATE INDEX ix_watchlist_entry_watchlist_id ON watchlist_entry (watchlist_id);
