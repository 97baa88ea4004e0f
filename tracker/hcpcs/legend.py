"""The plain-language legend of the HCPCS record: what each field and each code value means.

Pure data and tiny lookups, shared by ``show``, the text report and the Excel Legend sheet.
Everything is taken from CMS's record layouts (``HCPCS20xx_recordlayout.txt``, shipped beside
the release files); "field N" below is the layout's own field number. The layouts of 2017,
2018 and 2019 are identical here; the 2026 layout (January 2026 ZIP) is the newest and is the
one transcribed. It differs from 2017-2019 only by adding pricing indicator 40 and BETOS O1L
(both for lymphedema compression items, effective 2024-01-01), by reordering the BETOS table
and by capitalisation. CMS's wording is kept; only its capitalisation, spacing and obvious
misspellings are tidied (tests/test_legend.py checks every table against the 2017, 2018, 2019
and 2026 layouts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldLegend:
    """What one field of the record (a name of ``tracker.hcpcs.layout.FIELDS``) means."""

    name: str  # the field's name in tracker.hcpcs.layout.FIELDS, e.g. "mult_pi"
    number: int  # the field's number in CMS's record layout (1..30)
    label: str  # plain-language label, e.g. "Multiple pricing indicator"
    title: str  # the layout's own title, e.g. "HCPCS Multiple Pricing Indicator Code"
    meaning: str  # one or two sentences, from the layout's description of the field


@dataclass(frozen=True)
class ValueRow:
    """One code value of one field, as a row of a legend (e.g. the Excel Legend sheet)."""

    field: str  # the field's name, e.g. "cov"
    label: str  # the field's plain-language label, e.g. "Medicare coverage"
    value: str  # the code value as it appears in the record, e.g. "M" ("" for blank)
    meaning: str  # what CMS says the value means, e.g. "Non-covered by Medicare"


# In the order of tracker.hcpcs.layout.FIELDS. Meanings quote or closely paraphrase the layout's
# description of each field; where the layout is silent or misleading a comment says so.
FIELD_LEGEND: tuple[FieldLegend, ...] = (
    # Fields 1 (procedure code) and 4 (modifier code, positions 4-5) share positions 1-5.
    FieldLegend(
        "code",
        1,
        "HCPCS code",
        "Healthcare Common Procedure Coding System Code",
        "A code for a procedure, supply, product or service which may be provided to Medicare "
        "beneficiaries and to individuals enrolled in private health insurance programs. A "
        "two-character modifier (blanks in positions 1-3) indicates that a service or "
        "procedure has been altered by some specific circumstance but not changed in its "
        "definition or code.",
    ),
    FieldLegend(
        "seq_num",
        5,
        "Sequence number",
        "HCPCS Sequence Number",
        "Sequence number by 100s, used to group procedure or modifier codes together.",
    ),
    FieldLegend(
        "rec_id",
        6,
        "Record type",
        "HCPCS Record Identification Code",
        "Code to identify the record type: the first line of a procedure or modifier record, "
        "which carries its details, or a further line of its long description.",
    ),
    FieldLegend(
        "long_description",
        7,
        "Long description",
        "HCPCS Long Description",
        "All text of the procedure or modifier long description.",
    ),
    FieldLegend(
        "short_description",
        8,
        "Short description",
        "HCPCS Short Description",
        "Short descriptive text of the procedure or modifier code (28 characters or less).",
    ),
    FieldLegend(
        "price",
        9,
        "Pricing indicator",
        "HCPCS Pricing Indicator Code",
        "Code used to identify the appropriate methodology for developing unique pricing "
        "amounts under Part B. A procedure may have one to four pricing codes.",
    ),
    FieldLegend(
        "mult_pi",
        10,
        "Multiple pricing indicator",
        "HCPCS Multiple Pricing Indicator Code",
        "Code used to identify instances where a procedure could be priced under multiple "
        "methodologies.",
    ),
    FieldLegend(
        "cim",
        11,
        "Coverage Issues Manual reference",
        "HCPCS Coverage Issues Manual Reference Section Number",
        "Number identifying the reference section of the Coverage Issues Manual (up to 3).",
    ),
    FieldLegend(
        "mcm",
        12,
        "Medicare Carriers Manual reference",
        "HCPCS Medicare Carriers Manual Reference Section Number",
        "Number identifying a section of the Medicare Carriers Manual (up to 3).",
    ),
    FieldLegend(
        "statute",
        13,
        "Statute reference",
        "HCPCS Statute Number",
        "Number identifying the statute reference for coverage or noncoverage of the "
        "procedure or service.",
    ),
    FieldLegend(
        "labcert",
        14,
        "Lab certification category",
        "HCPCS Lab Certification Code",
        "Code used to classify laboratory procedures according to the specialty certification "
        "categories listed by CMS (up to 8). Any generally certified laboratory (e.g., 100) may "
        "perform any of the tests in its subgroups (e.g., 110, 120).",
    ),
    FieldLegend(
        "xref",
        15,
        "Cross reference",
        "HCPCS Cross Reference Code",
        "An explicit reference crosswalking a deleted code or a code that is not valid for "
        "Medicare to a valid current code (or range of codes); up to 5.",
    ),
    FieldLegend(
        "cov",
        16,
        "Medicare coverage",
        "HCPCS Coverage Code",
        "A code denoting Medicare coverage status.",
    ),
    FieldLegend(
        "asc_grp",
        17,
        "ASC payment group",
        "HCPCS ASC Payment Group Code",
        "'YY' means the procedure is approved to be performed in an ambulatory surgical center "
        "(ASC); blank means it is not. The dollar amounts are in CMS's ASC tables.",
    ),
    FieldLegend(
        "asc_dt",
        18,
        "ASC payment group effective date",
        "HCPCS ASC Payment Group Effective Date",
        "The date the procedure is assigned to the ASC payment group.",
    ),
    # Fields 19-21: CMS's workbook heads them OPPS, OPPS_PI and OPPS_DT, the layout calls them
    # MOG (Medicare outpatient groups). They are blank in every release we hold (2017, 2018,
    # 2020, January 2026).
    FieldLegend(
        "opps",
        19,
        "Outpatient (MOG) payment group",
        "HCPCS MOG Payment Group Code",
        "Medicare outpatient groups (MOG) payment group code. Its 1st digit is the body "
        "system, its 2nd a sequential number within it and its 3rd the level of intensity.",
    ),
    FieldLegend(
        "opps_pi",
        20,
        "Outpatient (MOG) payment policy indicator",
        "HCPCS MOG Payment Policy Indicator",
        "Indicator identifying whether a HCPCS code is subject to payment of an ASC facility "
        "fee, to a separate fee under another provision of Medicare, or to no fee at all.",
    ),
    FieldLegend(
        "opps_dt",
        21,
        "Outpatient (MOG) payment group effective date",
        "HCPCS MOG Effective Date",
        "The date the procedure is assigned to the Medicare outpatient group (MOG) payment group.",
    ),
    FieldLegend(
        "procnote",
        22,
        "Processing note",
        "HCPCS Processing Note Number",
        "Number identifying the processing note contained in Appendix A of the HCPCS manual.",
    ),
    FieldLegend(
        "betos",
        23,
        "BETOS category",
        "HCPCS Berenson-Eggers Type Of Service Code",
        "The Berenson-Eggers Type of Service (BETOS) for the procedure code, based on generally "
        "agreed upon clinically meaningful groupings of procedures and services.",
    ),
    FieldLegend(
        "tos",
        25,
        "Type of service",
        "HCPCS Type Of Service Code",
        "The carrier assigned CMS type of service, which describes the particular kind(s) of "
        "service represented by the procedure code (up to 5).",
    ),
    FieldLegend(
        "anest_bu",
        26,
        "Anesthesia base units",
        "HCPCS Anesthesia Base Unit Quantity",
        "The level of intensity for anesthesia procedure services that reflects all "
        "activities except time. Payment for anesthesia is calculated from base units, time "
        "units and the conversion factor.",
    ),
    # Field 27: the layout says "the year the HCPCS code was added", but the field is a full
    # YYYYMMDD date, and it is the first day the code may be used.
    FieldLegend(
        "add_dt",
        27,
        "Add date",
        "HCPCS Code Added Date",
        "The date the HCPCS code was added to the Healthcare Common Procedure Coding System.",
    ),
    FieldLegend(
        "act_eff_dt",
        28,
        "Action effective date",
        "HCPCS Action Effective Date",
        "Effective date of the action (see the action code) to a procedure or modifier code.",
    ),
    FieldLegend(
        "term_dt",
        29,
        "Termination date",
        "HCPCS Termination Date",
        "The last date for which a procedure or modifier code may be used by Medicare providers.",
    ),
    FieldLegend(
        "action_cd",
        30,
        "Action code",
        "HCPCS Action Code",
        "A code denoting the change made to a procedure or modifier code within the HCPCS system.",
    ),
)

# Field 6, record identification code. (tracker.hcpcs.layout reads 3/7 as a record's first line
# and 4/8 as a continuation of its long description.)
REC_ID_CODES: Mapping[str, str] = {
    "3": "First line of procedure record; also contains detail information in positions 92-275",
    "4": (
        "Second, third, fourth, etc., description of procedure record. No detail information "
        "in positions 92-275"
    ),
    "7": "First line of modifier record; also contains detail information in positions 92-275",
    "8": (
        "Second, third, fourth, etc., description of modifier record. No detail information "
        "in positions 92-275"
    ),
}

# Field 9, pricing indicator code (PRICE1..PRICE4). The layout groups 11-13 under the physician fee
# schedule and 21-22 under the clinical lab fee schedule; those headings are prefixed here
# because their lines alone read alike (13 and 22). 40 is new in the 2026 layout.
PRICING_INDICATOR_CODES: Mapping[str, str] = {
    "00": (
        "Service not separately priced by Part B (e.g., services not covered, bundled, used "
        "by Part A only, etc.)"
    ),
    "11": "Physician fee schedule: price established using national RVU's",
    "12": "Physician fee schedule: price established using national anesthesia base units",
    "13": (
        "Physician fee schedule: price established by carriers (e.g., not otherwise "
        "classified, individual determination, carrier discretion)"
    ),
    "21": "Clinical lab fee schedule: price subject to national limitation amount",
    "22": (
        "Clinical lab fee schedule: price established by carriers (e.g., gap-fills, carrier "
        "established panels)"
    ),
    "31": "Frequently serviced DME (price subject to floors and ceilings)",
    "32": "Inexpensive & routinely purchased DME (price subject to floors and ceilings)",
    "33": "Oxygen and oxygen equipment (price subject to floors and ceilings)",
    "34": "DME supplies (price subject to floors and ceilings)",
    "35": "Surgical dressings (price subject to floors and ceilings)",
    "36": "Capped rental DME (price subject to floors and ceilings)",
    "37": "Ostomy, tracheostomy and urological supplies (price subject to floors and ceilings)",
    "38": (
        "Orthotics, prosthetics, prosthetic devices & vision services (price subject to "
        "floors and ceilings)"
    ),
    "39": "Parenteral and Enteral Nutrition",
    "40": "Lymphedema Compression Treatment Items (eff 1/1/2024)",
    "45": "Customized DME items",
    "46": (
        "Carrier priced (e.g., not otherwise classified, individual determination, carrier "
        "discretion, gap-filled amounts)"
    ),
    "51": "Drugs",
    "52": "Reasonable charge",
    "53": "Statute",
    "54": "Vaccinations",
    "55": "Splints and Casts (eff 10/1/2014)",
    "56": "IOL's inserted in a physician's office (eff 10/1/2014)",
    "57": "Other carrier priced",
    "99": "Value not established",
}

# Field 10, multiple pricing indicator code.
MULTIPLE_PRICING_INDICATOR_CODES: Mapping[str, str] = {
    "9": (
        "Not applicable as HCPCS not priced separately by Part B (pricing indicator is 00) or"
        " value is not established (pricing indicator is '99')"
    ),
    "A": "Not applicable as HCPCS priced under one methodology",
    "B": (
        "Professional component of HCPCS priced using RVU's, while technical component and "
        "global service priced by Medicare Part B carriers"
    ),
    "C": (
        "Physician interpretation of clinical lab service is priced under physician fee "
        "schedule using RVU's, while pricing of lab service is paid under clinical lab fee "
        "schedule"
    ),
    "D": (
        "Service performed by physician is priced under physician fee schedule using RVU's, "
        "while service performed by clinical psychologist is priced under clinical "
        "psychologist fee schedule (not applicable as of January 1, 1998)"
    ),
    "E": (
        "Service performed by physician is priced under physician fee schedule using RVU's, "
        "service performed by clinical psychologist is priced under clinical psychologist's "
        "fee schedule and service performed by clinical social worker is priced under "
        "clinical social worker fee schedule (not applicable as of January 1, 1998)"
    ),
    "F": (
        "Service performed by physician is priced under physician fee schedule by carriers, "
        "service performed by clinical psychologist is priced under clinical psychologist's "
        "fee schedule and service performed by clinical social worker is priced under "
        "clinical social worker fee schedule (not applicable as of January 1, 1998)"
    ),
    "G": (
        "Clinical lab service priced under reasonable charge when service is submitted on "
        "claim with blood products, while service is priced under clinical lab fee schedule "
        "when there are no blood products on claim."
    ),
}

# Field 14, lab certification code (LABCERT1..LABCERT8). The layout indents each subgroup under
# its group: 110-150 are microbiology, 210-220 immunology, 310-350 chemistry, 510-560
# immunohematology, 610-630 pathology.
LAB_CERTIFICATION_CODES: Mapping[str, str] = {
    "010": "Histocompatibility testing",
    "100": "Microbiology",
    "110": "Bacteriology",
    "115": "Mycobacteriology",
    "120": "Mycology",
    "130": "Parasitology",
    "140": "Virology",
    "150": "Other microbiology",
    "200": "Diagnostic immunology",
    "210": "Syphilis serology",
    "220": "General immunology",
    "300": "Chemistry",
    "310": "Routine chemistry",
    "320": "Urinalysis",
    "330": "Endocrinology",
    "340": "Toxicology",
    "350": "Other chemistry",
    "400": "Hematology",
    "500": "Immunohematology",
    "510": "ABO group & Rh type",
    "520": "Antibody detection (transfusion)",
    "530": "Antibody detection (nontransfusion)",
    "540": "Antibody identification",
    "550": "Compatibility testing",
    "560": "Other immunohematology",
    "600": "Pathology",
    "610": "Histopathology",
    "620": "Oral pathology",
    "630": "Cytology",
    "800": "Radiobioassay",
    "900": "Clinical cytogenetics",
}

# Field 16, coverage code.
COVERAGE_CODES: Mapping[str, str] = {
    "C": "Carrier judgment",
    "D": "Special coverage instructions apply",
    "I": "Not payable by Medicare",
    "M": "Non-covered by Medicare",
    "S": "Non-covered by Medicare statute",
}

# Field 17, ASC payment group code: not a "CODES" list but the layout's edit rules ("CODE: YY",
# "BLANK = Not Approved For ASC"). The blank value is the empty string.
ASC_GROUP_CODES: Mapping[str, str] = {
    "YY": "Approved to be performed in an ambulatory surgical center (ASC)",
    "": "Not approved for ASC",
}

# Field 19, MOG payment group code (workbook header OPPS); blank in every release we hold. The
# layout heads the groups by body system (1xx integumentary, 2xx musculoskeletal, 3xx
# ENT/respiratory/cardiovascular/lymphatic/endocrine, 4xx digestive, 5xx urinary/genital,
# 6xx nervous/eye).
MOG_PAYMENT_GROUP_CODES: Mapping[str, str] = {
    "000": "No MOG applies",
    "102": "Level II needle biopsy/aspiration",
    "112": "Level II incision and drainage",
    "132": "Level II debridement/destruction",
    "142": "Level II excision/biopsy",
    "143": "Level III excision/biopsy",
    "151": "Level I skin repair",
    "152": "Level II skin repair",
    "153": "Level III skin repair",
    "160": "Incision/excision breast",
    "169": "Breast reconstruction/mastectomy",
    "201": "Level I skull and facial bone procedures",
    "202": "Level II skull and facial bone procedures",
    "211": "Level I hand musculoskeletal procedures",
    "212": "Level II hand musculoskeletal procedures",
    "221": "Level I foot musculoskeletal procedures",
    "222": "Level II foot musculoskeletal procedures",
    "231": "Level I musculoskeletal procedures",
    "232": "Level II musculoskeletal procedures",
    "233": "Level III musculoskeletal procedures",
    "241": "Level I arthroscopy",
    "242": "Level II arthroscopy",
    "260": "Closed treatment fracture finger/toe/trunk",
    "269": "Closed treatment fracture/dislocation/except finger/toe/trunk",
    "270": "Open/percutaneous treatment fracture or dislocation",
    "279": "Bone/joint manipulation under anesthesia",
    "280": "Bunion procedures",
    "289": "Arthroplasty",
    "290": "Arthroplasty with prosthesis",
    "302": "Level II ENT procedures",
    "303": "Level III ENT procedures",
    "304": "Level IV ENT procedures",
    "309": "Implantation of cochlear device (ASC rate does not include cost of implant)",
    "310": "Nasal cauterization/packing",
    "319": "Tonsil/adenoid procedures",
    "322": "Level II endoscopy upper airway",
    "323": "Level III endoscopy upper airway",
    "329": "Endoscopy lower airway",
    "330": "Thoracentesis/lavage procedures",
    "350": "Placement transvenous caths/cutdown",
    "359": "Removal/revision, pacemaker/vascular device",
    "360": "Vascular ligation",
    "369": "Vascular repair/fistula construction",
    "370": "Lymph node excisions",
    "379": "Thyroid/lymphadenectomy procedures",
    "400": "Esophageal dilation without endoscopy",
    "410": "Esophagoscopy",
    "421": "Level I upper GI endoscopy/intubation",
    "422": "Level II upper GI endoscopy/intubation",
    "429": "Lower GI endoscopy",
    "430": "Anoscopy and diagnostic sigmoidoscopy",
    "439": "Therapeutic proctosigmoidoscopy",
    "440": "Small intestine endoscopy",
    "449": "Percutaneous biliary endoscopic procedures",
    "450": "Endoscopic retrograde cholangio-pancreatography (ERCP)",
    "460": "Hernia/hydrocele procedures",
    "472": "Level II anal/rectal procedures",
    "473": "Level III anal/rectal procedures",
    "480": "Peritoneal and abdominal procedures",
    "490": "Tube procedures",
    "501": "Level I laparoscopy",
    "502": "Level II laparoscopy",
    "509": "Lithotripsy",
    "511": "Level I cystourethroscopy and other genitourinary procedures",
    "512": "Level II cystourethroscopy and other genitourinary procedures",
    "513": "Level III cystourethroscopy and other genitourinary procedures",
    "521": "Level I urethral procedures",
    "522": "Level II urethral procedures",
    "530": "Circumcision",
    "539": "Penile procedures",
    "540": "Insertion of penile prosthesis (ASC rate does include cost of implant)",
    "549": "Testes/epididymis procedures",
    "550": "Prostate biopsy",
    "562": "Level II female reproductive procedures",
    "563": "Level III female reproductive procedures",
    "570": "Surgical hysteroscopy",
    "579": "D & C",
    "580": "Spontaneous abortion",
    "589": "Therapeutic abortion",
    "602": "Level II nervous system injections",
    "609": "Revision/removal neurological device",
    "610": (
        "Implantation of neurostimulator electrodes (ASC rate does not include cost of implant)"
    ),
    "619": "Implantation of neurological devices (asc rate does not include cost of implant)",
    "621": "Level I nerve procedures",
    "622": "Level II nerve procedures",
    "629": "Spinal tap",
    "639": "Laser eye procedures except retinal",
    "640": "Cataract procedures",
    "649": "Cataract procedures with IOL insert (includes $150 insert)",
    "651": "Level I anterior segment eye procedures",
    "652": "Level II anterior segment eye procedures",
    "659": "Corneal transplant (ASC rate includes price of transplant)",
    "660": "Posterior segment eye procedures",
    "669": "Strabismus/muscle procedures",
    "673": "Level III eye procedure",
    "674": "Level IV eye procedure",
    "680": "Vitrectomy",
    "689": "Implantation/replacement of intravitreal drug",
}

# Field 20, MOG payment policy indicator (workbook header OPPS_PI); blank in every release we hold.
MOG_PAYMENT_POLICY_CODES: Mapping[str, str] = {
    "1": "ASC covered procedure",
    "2": "Bundled service/no separate payment",
    "3": "Excluded from ASC list",
    "4": "Invalid code/90 day grace period",
    "6": "Separate payment when furnished in an ASC",
    "7": "ASC restricted coverage procedure",
    "9": "ASC payment not applicable",
}

# Field 23, BETOS code: the layout's appendix table BETOS_TB. O1L is new in the 2026 layout,
# which also reorders the table (2019 lists P7A..P9B before the I, T, D and O codes).
BETOS_CODES: Mapping[str, str] = {
    "D1A": "Medical/surgical supplies",
    "D1B": "Hospital beds",
    "D1C": "Oxygen and supplies",
    "D1D": "Wheelchairs",
    "D1E": "Other DME",
    "D1F": "Prosthetic/Orthotic devices",
    "D1G": "Drugs Administered through DME",
    "I1A": "Standard imaging - chest",
    "I1B": "Standard imaging - musculoskeletal",
    "I1C": "Standard imaging - breast",
    "I1D": "Standard imaging - contrast gastrointestinal",
    "I1E": "Standard imaging - nuclear medicine",
    "I1F": "Standard imaging - other",
    "I2A": "Advanced imaging - CAT/CT/CTA: brain/head/neck",
    "I2B": "Advanced imaging - CAT/CT/CTA: other",
    "I2C": "Advanced imaging - MRI/MRA: brain/head/neck",
    "I2D": "Advanced imaging - MRI/MRA: other",
    "I3A": "Echography/ultrasonography - eye",
    "I3B": "Echography/ultrasonography - abdomen/pelvis",
    "I3C": "Echography/ultrasonography - heart",
    "I3D": "Echography/ultrasonography - carotid arteries",
    "I3E": "Echography/ultrasonography - prostate, transrectal",
    "I3F": "Echography/ultrasonography - other",
    "I4A": "Imaging/procedure - heart including cardiac catheterization",
    "I4B": "Imaging/procedure - other",
    "M1A": "Office visits - new",
    "M1B": "Office visits - established",
    "M2A": "Hospital visit - initial",
    "M2B": "Hospital visit - subsequent",
    "M2C": "Hospital visit - critical care",
    "M3": "Emergency room visit",
    "M4A": "Home visit",
    "M4B": "Nursing home visit",
    "M5A": "Specialist - pathology",
    "M5B": "Specialist - psychiatry",
    "M5C": "Specialist - ophthalmology",
    "M5D": "Specialist - other",
    "M6": "Consultations",
    "O1A": "Ambulance",
    "O1B": "Chiropractic",
    "O1C": "Enteral and parenteral",
    "O1D": "Chemotherapy",
    "O1E": "Other drugs",
    "O1F": "Hearing and speech services",
    "O1G": "Immunizations/Vaccinations",
    "O1L": "Lymphedema Compression Treatment Items (eff 1/1/2024)",
    "P0": "Anesthesia",
    "P1A": "Major procedure - breast",
    "P1B": "Major procedure - colectomy",
    "P1C": "Major procedure - cholecystectomy",
    "P1D": "Major procedure - TURP",
    "P1E": "Major procedure - hysterectomy",
    "P1F": "Major procedure - explor/decompr/excisdisc",
    "P1G": "Major procedure - other",
    "P2A": "Major procedure, cardiovascular - CABG",
    "P2B": "Major procedure, cardiovascular - Aneurysm repair",
    "P2C": "Major procedure, cardiovascular - Thromboendarterectomy",
    "P2D": "Major procedure, cardiovascular - Coronary angioplasty (PTCA)",
    "P2E": "Major procedure, cardiovascular - Pacemaker insertion",
    "P2F": "Major procedure, cardiovascular - Other",
    "P3A": "Major procedure, orthopedic - Hip fracture repair",
    "P3B": "Major procedure, orthopedic - Hip replacement",
    "P3C": "Major procedure, orthopedic - Knee replacement",
    "P3D": "Major procedure, orthopedic - other",
    "P4A": "Eye procedure - corneal transplant",
    "P4B": "Eye procedure - cataract removal/lens insertion",
    "P4C": "Eye procedure - retinal detachment",
    "P4D": "Eye procedure - treatment of retinal lesions",
    "P4E": "Eye procedure - other",
    "P5A": "Ambulatory procedures - skin",
    "P5B": "Ambulatory procedures - musculoskeletal",
    "P5C": "Ambulatory procedures - inguinal hernia repair",
    "P5D": "Ambulatory procedures - lithotripsy",
    "P5E": "Ambulatory procedures - other",
    "P6A": "Minor procedures - skin",
    "P6B": "Minor procedures - musculoskeletal",
    "P6C": "Minor procedures - other (Medicare fee schedule)",
    "P6D": "Minor procedures - other (Non-Medicare fee schedule)",
    "P7A": "Oncology - radiation therapy",
    "P7B": "Oncology - other",
    "P8A": "Endoscopy - arthroscopy",
    "P8B": "Endoscopy - upper gastrointestinal",
    "P8C": "Endoscopy - sigmoidoscopy",
    "P8D": "Endoscopy - colonoscopy",
    "P8E": "Endoscopy - cystoscopy",
    "P8F": "Endoscopy - bronchoscopy",
    "P8G": "Endoscopy - laparoscopic cholecystectomy",
    "P8H": "Endoscopy - laryngoscopy",
    "P8I": "Endoscopy - other",
    "P9A": "Dialysis services (Medicare fee schedule)",
    "P9B": "Dialysis services (Non-Medicare fee schedule)",
    "T1A": "Lab tests - routine venipuncture (Non-Medicare fee schedule)",
    "T1B": "Lab tests - automated general profiles",
    "T1C": "Lab tests - urinalysis",
    "T1D": "Lab tests - blood counts",
    "T1E": "Lab tests - glucose",
    "T1F": "Lab tests - bacterial cultures",
    "T1G": "Lab tests - other (Medicare fee schedule)",
    "T1H": "Lab tests - other (Non-Medicare fee schedule)",
    "T2A": "Other tests - electrocardiograms",
    "T2B": "Other tests - cardiovascular stress tests",
    "T2C": "Other tests - EKG monitoring",
    "T2D": "Other tests - other",
    "Y1": "Other - Medicare fee schedule",
    "Y2": "Other - Non-Medicare fee schedule",
    "Z1": "Local codes",
    "Z2": "Undefined codes",
}

# Field 25, type of service code (TOS1..TOS5): the layout's appendix table CMS_TYPE_SRVC_TB.
TYPE_OF_SERVICE_CODES: Mapping[str, str] = {
    "1": "Medical care",
    "2": "Surgery",
    "3": "Consultation",
    "4": "Diagnostic radiology",
    "5": "Diagnostic laboratory",
    "6": "Therapeutic radiology",
    "7": "Anesthesia",
    "8": "Assistant at surgery",
    "9": "Other medical items or services",
    "0": "Whole blood only eff 01/96, whole blood or packed red cells before 01/96",
    "A": "Used durable medical equipment (DME)",
    "B": "High risk screening mammography (obsolete 1/1/98)",
    "C": "Low risk screening mammography (obsolete 1/1/98)",
    "D": "Ambulance (eff 04/95)",
    "E": "Enteral/parenteral nutrients/supplies (eff 04/95)",
    "F": "Ambulatory surgical center (facility usage for surgical services)",
    "G": "Immunosuppressive drugs",
    "H": "Hospice services (discontinued 01/95)",
    "I": "Purchase of DME (installment basis) (discontinued 04/95)",
    "J": "Diabetic shoes (eff 04/95)",
    "K": "Hearing items and services (eff 04/95)",
    "L": "ESRD supplies (eff 04/95) (renal supplier in the home before 04/95)",
    "M": "Monthly capitation payment for dialysis",
    "N": "Kidney donor",
    "P": "Lump sum purchase of DME, prosthetics, orthotics",
    "Q": "Vision items or services",
    "R": "Rental of DME",
    "S": "Surgical dressings or other medical supplies (eff 04/95)",
    "T": (
        "Psychological therapy (term. 12/31/97); outpatient mental health limitation (eff. 1/1/98)"
    ),
    "U": "Occupational therapy",
    "V": (
        "Pneumococcal/flu vaccine (eff 01/96), Pneumococcal/flu/hepatitis B vaccine (eff "
        "04/95-12/95), Pneumococcal only before 04/95"
    ),
    "W": "Physical therapy",
    "Y": "Second opinion on elective surgery (obsoleted 1/97)",
    "Z": "Third opinion on elective surgery (obsoleted 1/97)",
}

# Field 30, action code: the change CMS made since the previous release. This is the single home of
# the action letters (tracker.hcpcs.layout keeps an older, shortened copy until callers move).
ACTION_CODES: Mapping[str, str] = {
    "A": "Add procedure or modifier code",
    "B": (
        "Change in both administrative data field and long description of procedure or "
        "modifier code"
    ),
    "C": "Change in long description of procedure or modifier code",
    "D": "Discontinue procedure or modifier code",
    "F": "Change in administrative data field of procedure or modifier code",
    "N": "No maintenance for this code",
    "P": (
        "Payment change (MOG, pricing indicator codes, anesthesia base units, Ambulatory "
        "Surgical Centers)"
    ),
    "R": "Re-activate discontinued/deleted procedure or modifier code",
    "S": "Change in short description of procedure code",
    "T": "Miscellaneous change (BETOS, type of service)",
}

# What each action letter says, in a few words, for the one-line legend of the text report.
ACTION_SHORT: Mapping[str, str] = {
    "A": "added",
    "B": "both administrative data and long description changed",
    "C": "long description changed",
    "D": "discontinued",
    "F": "administrative data changed",
    "N": "no maintenance",
    "P": "payment changed",
    "R": "reactivated",
    "S": "short description changed",
    "T": "BETOS or type of service changed",
}

# The code-value table of each field that has one, by field name.
VALUE_TABLES: Mapping[str, Mapping[str, str]] = {
    "rec_id": REC_ID_CODES,
    "price": PRICING_INDICATOR_CODES,
    "mult_pi": MULTIPLE_PRICING_INDICATOR_CODES,
    "labcert": LAB_CERTIFICATION_CODES,
    "cov": COVERAGE_CODES,
    "asc_grp": ASC_GROUP_CODES,
    "opps": MOG_PAYMENT_GROUP_CODES,
    "opps_pi": MOG_PAYMENT_POLICY_CODES,
    "betos": BETOS_CODES,
    "tos": TYPE_OF_SERVICE_CODES,
    "action_cd": ACTION_CODES,
}

_BY_NAME: Mapping[str, FieldLegend] = {f.name: f for f in FIELD_LEGEND}


def field_legend(name: str) -> FieldLegend:
    """The legend of a layout field; KeyError naming it when it is no layout field."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no HCPCS layout field named {name!r}") from None


def field_label(name: str) -> str:
    """The plain-language label of a layout field, e.g. "Multiple pricing indicator"."""
    return field_legend(name).label


def field_meaning(name: str) -> str:
    """What a layout field means, in one or two sentences from the record layout."""
    return field_legend(name).meaning


def value_meaning(field: str, value: str) -> str | None:
    """What CMS says a field's code value means; None when the field has no code table or
    the value is not in it (a blank is in the table only for the ASC payment group)."""
    field_legend(field)
    table = VALUE_TABLES.get(field)
    return None if table is None else table.get(value.strip())


def action_legend() -> str:
    """The action letters on one line, for the text report."""
    return "Action codes: " + ", ".join(f"{k} {v}" for k, v in ACTION_SHORT.items()) + "."


def value_rows(fields: Iterable[str] | None = None) -> tuple[ValueRow, ...]:
    """Every code value of every field with a table (or of ``fields``), field by field in
    layout order, each table in the layout's order: the rows of a legend sheet."""
    wanted = set(VALUE_TABLES if fields is None else fields)
    return tuple(
        ValueRow(f.name, f.label, value, meaning)
        for f in FIELD_LEGEND
        if f.name in wanted
        for value, meaning in VALUE_TABLES.get(f.name, {}).items()
    )
