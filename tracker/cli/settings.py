"""`tracker config check`: the configuration file, validated."""

from __future__ import annotations

import argparse
import sys

from tracker.cli.common import Subparsers, add_command, add_group, load


def add_config_commands(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    group = add_group(sub, "config", "the configuration file")
    add_command(
        group, common, "check", cmd_config_check,
        "validate every setting of the configuration file, including the cron and time zone; "
        "print what it holds, or exit 2 naming the bad key",
    )  # fmt: skip


def cmd_config_check(args: argparse.Namespace) -> int:
    from tracker.config import summary
    from tracker.store import redact_url

    config = load(args)  # every section validated: a bad one exits 2 naming the key
    sys.stdout.write(summary(config, db_name=redact_url(config.db_url)))
    return 0
