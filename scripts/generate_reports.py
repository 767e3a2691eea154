"""Generate a seeded, synthetic set of labelled incident reports for training.

Writes ``sample_data/reports_generated.csv`` (columns ``report_id,setting,source,text,labels``)
with 1,200 reports by default. The hand-written corpus has about 2,400 reports; these bring the
labelled training data past 3,000.

**Generated reports are used for training only, never to score the model.** The held-out test
split (``sample_data/reports_test.csv``) is hand-written; scoring on text made by this script
would measure how well the model learnt these templates, not how well it reads real reports.

Design
------
Every report is composed from independent parts, so that no single template or word order
carries the labels:

* an optional **opening** (who / where / when), drawn from ~60 variants across the five
  settings, with ward names, times and roles filled in from slot lists;
* one or two **core event** clauses, which alone carry the labels. The banks hold at least
  40 differently worded clauses for each label (:data:`CORE_SINGLE`), ~40 multi-label clauses
  that follow the combination rules and the v1.1 decision rules of the taxonomy
  (``safetylens/data/taxonomy.md``; :data:`CORE_MULTI`), and at least 120 clauses with no
  label: incidents
  (:data:`CORE_NONE`: falls, pressure ulcers, violence, self-harm, absconsion, staffing, non-IT
  equipment faults, administration slips with correct information, clinical technique errors,
  confidentiality breaches, delays for bed capacity, ...) and confounders
  (:data:`CORE_NONE_CONFOUNDERS`) that mention notes, handover, records, the EPR or results
  where information did not contribute. A report's labels are the union of its core clauses'
  labels. A labelled report sometimes also describes an unrelated no-label incident (never a
  confounder, which would contradict the labelled clause);
* optional **outcome** clauses (~40: harm, no harm, near miss, escalation, Datix, apology,
  duty of candour), which never change the labels;
* optional **noise** clauses (~40) that use information words ("obs were recorded on the EPR
  as usual") without changing the labels. Each noise clause lists the labels it would
  contradict, and is only used in reports that carry none of them.

Bank entries are plain strings. An optional prefix ``"label_a;label_b | "`` gives the labels of
a multi-label core clause (or the labels a noise clause must not be combined with). An optional
bracket ``"[amcge!~] "`` restricts a clause to some settings (``a`` acute, ``m`` mental health,
``c`` community, ``g`` primary care / general practice, ``e`` ambulance / emergency) and marks
it: ``!`` the event reached the patient (so no "near miss" outcome), ``~`` a non-clinical event
(so no clinical-harm outcome). ``{slot}`` placeholders are filled from :data:`SLOTS`, the same
value for the same slot throughout a report; ``{med2}`` is a second, different ``{med}``.

Surface variation is applied at random afterwards: sentence order where sensible (second core,
outcome and noise positions), separators and final punctuation, abbreviations swapped in or
out (patient/pt, observations/obs, general practitioner/GP, ...), typos from a small table, and
some reports entirely in lower case. Lengths run from 8 to about 150 words. The label mix is
planned: about 25% with no label, about 30% with two or more labels, and single-label reports
go to whichever label is least represented so far, so every label appears in at least 150 of
the 1,200 reports. Duplicate texts are redrawn.

The script uses only the standard library and numpy, with a fixed seed, so running
``python scripts/generate_reports.py`` rewrites the file byte-identically every time.

Usage::

    python scripts/generate_reports.py            # 1,200 reports
    python scripts/generate_reports.py --n 300    # a different number
"""

from __future__ import annotations

import argparse
import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from safetylens.taxonomy import LABELS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sample_data" / "reports_generated.csv"
SEED = 20261128
N_REPORTS = 1200


SETTINGS: tuple[str, ...] = ("acute", "mental_health", "community", "primary_care", "ambulance")
SETTING_CODES = {
    "a": "acute",
    "m": "mental_health",
    "c": "community",
    "g": "primary_care",
    "e": "ambulance",
}
SETTING_WEIGHTS = {
    "acute": 0.38,
    "mental_health": 0.16,
    "community": 0.16,
    "primary_care": 0.16,
    "ambulance": 0.14,
}

# Share of reports of each kind. "pair" = two single-label core clauses with different labels.
KIND_SHARES = {"none": 0.25, "single": 0.45, "multi": 0.195, "pair": 0.105}

# --------------------------------------------------------------------------------------------
# Slot fillers
# --------------------------------------------------------------------------------------------

SLOTS: dict[str, tuple[str, ...] | dict[str, tuple[str, ...]]] = {
    "time": (
        "0215",
        "0340",
        "0520",
        "0655",
        "0810",
        "0945",
        "1120",
        "1305",
        "1430",
        "1555",
        "1720",
        "1840",
        "2005",
        "2130",
        "2250",
        "23:40",
        "03:15",
        "around 3am",
        "about 6pm",
        "midnight",
        "just after 7am",
    ),
    "shift": ("0730", "0800", "1930", "2000", "1400", "the start of the shift"),
    "day": (
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "a bank holiday Monday",
    ),
    "bed": ("bed 3", "bed 12", "bay 2 bed 4", "side room 6", "bay 4 bed 1", "bed 8", "bay 1 bed 5"),
    "surname": (
        "Smith",
        "Khan",
        "Jones",
        "Patel",
        "Williams",
        "Brown",
        "Taylor",
        "Ahmed",
        "Evans",
        "Davies",
        "Wilson",
        "Roberts",
        "Hughes",
        "Begum",
        "Walker",
        "Murphy",
    ),
    "med": (
        "warfarin",
        "apixaban",
        "rivaroxaban",
        "insulin",
        "gentamicin",
        "lithium",
        "morphine",
        "oxycodone",
        "enoxaparin",
        "digoxin",
        "prednisolone",
        "levetiracetam",
        "amiodarone",
        "metformin",
        "sodium valproate",
        "bisoprolol",
        "furosemide",
        "amlodipine",
        "tacrolimus",
        "carbamazepine",
        "olanzapine",
        "sertraline",
        "co-codamol",
        "dexamethasone",
        "levothyroxine",
        "ramipril",
        "edoxaban",
        "phenytoin",
    ),
    "allergen": (
        "penicillin",
        "co-trimoxazole",
        "codeine",
        "trimethoprim",
        "ibuprofen",
        "morphine",
        "clarithromycin",
        "aspirin",
        "flucloxacillin",
    ),
    "test": (
        "potassium",
        "sodium",
        "troponin",
        "INR",
        "HbA1c",
        "creatinine",
        "FBC",
        "CRP",
        "lithium level",
        "TFT",
        "D-dimer",
        "LFT",
        "PSA",
        "blood gas",
        "magnesium",
        "calcium",
        "haemoglobin",
        "urine culture",
    ),
    "scan": (
        "CT head",
        "chest X-ray",
        "MRI spine",
        "abdominal ultrasound",
        "CTPA",
        "echo",
        "CT abdomen",
        "MRI brain",
        "DEXA scan",
    ),
    "ward": {
        "acute": (
            "Ward 7",
            "Ward 22",
            "AMU",
            "SAU",
            "Larch ward",
            "Cedar ward",
            "the stroke unit",
            "the cardiology ward",
            "the orthopaedic ward",
            "the respiratory ward",
            "Ward 14 (elderly care)",
            "the surgical HDU",
            "Maple ward",
            "ED majors",
        ),
        "mental_health": (
            "Willow ward",
            "Rowan ward",
            "the PICU",
            "Beech ward (older adults)",
            "Oak ward",
            "the acute admissions ward",
            "Hazel ward",
            "the mother and baby unit",
        ),
        "community": (
            "Ash ward at the community hospital",
            "the community hospital ward",
            "the step-down unit",
            "the community rehab ward",
        ),
        "primary_care": ("the practice",),
        "ambulance": ("the ED",),
    },
    "role": {
        "acute": (
            "staff nurse",
            "HCA",
            "FY1",
            "FY2",
            "registrar",
            "charge nurse",
            "ward sister",
            "ward pharmacist",
            "bank nurse",
            "agency nurse",
            "student nurse",
            "SHO",
            "nurse in charge",
            "ANP",
        ),
        "mental_health": (
            "staff nurse",
            "HCA",
            "charge nurse",
            "ward manager",
            "SHO",
            "consultant psychiatrist",
            "care coordinator",
            "support worker",
            "bank HCA",
            "student nurse",
            "CPN",
        ),
        "community": (
            "district nurse",
            "community staff nurse",
            "HCA",
            "community matron",
            "physio",
            "OT",
            "palliative care CNS",
            "bank nurse",
        ),
        "primary_care": (
            "GP",
            "practice nurse",
            "clinical pharmacist",
            "HCA",
            "receptionist",
            "ANP",
            "locum GP",
            "GP registrar",
        ),
        "ambulance": (
            "paramedic",
            "EMT",
            "ECA",
            "clinical hub clinician",
            "call handler",
            "student paramedic",
            "specialist paramedic",
        ),
    },
    "sys": {
        "acute": (
            "the EPR",
            "PAS",
            "the e-prescribing system",
            "order comms",
            "the results viewer",
            "the EPR",
        ),
        "mental_health": ("the EPR", "RiO", "the e-prescribing system"),
        "community": ("SystmOne", "the EPR", "the mobile working app"),
        "primary_care": ("EMIS", "SystmOne", "the practice system", "Docman"),
        "ambulance": ("the ePCR system", "the CAD", "the ePCR tablet"),
    },
}

# --------------------------------------------------------------------------------------------
# Openings: who / where / when, by setting (~60)
# --------------------------------------------------------------------------------------------

OPENINGS: dict[str, tuple[str, ...]] = {
    "acute": (
        "night shift on {ward}, around {time}",
        "{ward}, {day} at {time}",
        "pt admitted via ED to {ward} overnight",
        "during the morning ward round on {ward}",
        "the {role} on {ward} reported the following at {time}",
        "pt transferred from AMU to {ward} late in the evening",
        "elective surgical admission to {ward} on {day}",
        "busy late shift on {ward}",
        "reported by the {role} working on {ward}",
        "pt in {bed} on {ward}, {day} night",
        "weekend cover, the {role} was covering several wards including {ward}",
        "elderly pt on {ward} recovering from a hip fracture repair",
        "pt in ED majors awaiting a medical bed",
    ),
    "mental_health": (
        "night shift on {ward} at {time}",
        "{ward}, {day} evening",
        "informal pt on {ward}",
        "pt detained under section 3 on {ward}",
        "home treatment team visit at {time}",
        "CMHT duty worker contact on {day}",
        "crisis team assessment in ED at {time}",
        "pt on {ward} on level 2 observations",
        "during the MDT review on {ward}",
        "depot clinic at the community base on {day}",
        "reported by the {role} on {ward}",
        "pt admitted to {ward} from the 136 suite",
    ),
    "community": (
        "district nursing visit to the pt's home at {time}",
        "visit by the {role} on {day}",
        "{ward}, night shift",
        "reported at {time} by the {role} on {ward}",
        "pt admitted to {ward} for rehabilitation after a hospital stay",
        "care home visit by the {role}",
        "intermediate care team visit, {day} morning",
        "palliative care visit at home at {time}",
        "pt seen in the community leg ulcer clinic",
        "rapid response team visit after a call from the care home",
        "the {role} attended a new pt visit following hospital discharge",
        "community rehab team visit on {day}",
        "out of hours district nursing call at {time}",
        "reported by the {role} after a home visit",
    ),
    "primary_care": (
        "GP surgery, {day} morning",
        "telephone consultation with the duty GP at {time}",
        "practice nurse clinic on {day}",
        "routine medication review at the practice",
        "pt attended the surgery for a same-day appointment",
        "home visit by the {role}",
        "reported by the {role} at the practice",
        "pt phoned the surgery at {time}",
        "extended access clinic on {day} evening",
        "annual review appointment with the {role}",
        "pt seen at the walk-in centre on {day}",
        "{day} morning at the practice, the {role} on duty",
    ),
    "ambulance": (
        "crew attended a 999 call at {time}",
        "category 2 call to a private address on {day}",
        "call to a care home at {time}",
        "inter-facility transfer booked by the ward",
        "crew arrived on scene at {time}",
        "the {role} attended a fall in the community",
        "111 referral passed to the clinical hub at {time}",
        "call received by the EOC at {time}",
        "crew attended a pt with chest pain on {day}",
        "conveyance to ED on {day} night",
        "reported by the {role} after the job",
        "response car arrived first at {time}",
    ),
}

# --------------------------------------------------------------------------------------------
# Core event clauses that carry exactly one label (>= 40 each)
# --------------------------------------------------------------------------------------------

CORE_SINGLE: dict[str, tuple[str, ...]] = {
    "records_unavailable": (
        "[amc] the pt's paper notes could not be found when they arrived on the ward",
        "[a] the notes did not come up from ED with the pt so the admitting doctor had no history",
        "[g] the previous clinic letter was not on the record so the GP had no idea what the "
        "plan was",
        "[a] the outside CT images were not available for the MDT so the decision was deferred",
        "[amc] the pt was transferred without their notes",
        "[e] crew could not find the pt's care plan at the address and the family did not know "
        "where the folder was",
        "[a] the old volumes of notes were in off-site storage and could not be retrieved "
        "overnight",
        "[m] the pt's previous risk history from another trust could not be obtained out of hours",
        "[g] the paper records from the pt's previous practice had still not arrived",
        "[a] the anaesthetist could not see the previous anaesthetic chart because the old "
        "volume of notes was missing",
        "[acg] the clinician was unaware of the pt's history because the referral letter was "
        "missing from the file",
        "[amc] the pt's community care plan was not available to the admitting team",
        "[e] the pt's advance care plan could not be located at the care home",
        "[g] the practice could not get hold of the hospital records to confirm the diagnosis",
        "[m] the crisis plan held by the other team could not be obtained during the assessment",
        "[c] the district nurses arrived to find that the pt's home-held notes were missing",
        "[c] the community nursing folder had been taken away by a relative and was not in the "
        "house",
        "[a] theatre did not have the consent form or the clerking as the notes were still in "
        "clinic",
        "[amc] a temporary set of notes had to be started because the main file was lost",
        "[a] the pt's records from the other trust were not available to the on-call team",
        "[e] crew were unable to obtain any medical history as there were no records at the "
        "property and the pt was confused",
        "[g] the locum saw the pt without the hospital correspondence, which had not yet been "
        "scanned into the record",
        "[a] the ward could not locate the pt's previous discharge summary",
        "[m] the pt's previous admission notes were archived and unavailable during the assessment",
        "[amcg] the pt's learning disability passport was not available to staff",
        "[a] the pre-op assessment paperwork was missing on the day of surgery",
        "[m] staff in the 136 suite had no background on the pt as the records could not be "
        "obtained from the neighbouring trust",
        "[c] the hospice could not obtain the pt's records from the acute trust before the "
        "admission",
        "[a] clinic letters from the last two years were missing from the paper file",
        "[a] the scans done privately were not available to the surgeon at the clinic",
        "[g] the out of hours doctor had no access to the pt's usual GP notes",
        "[amcge] the clinician did not know the pt's history as no records were available",
        "[e] crew could not find the DNACPR form or any other records at the address",
        "[a] the maternity notes were not with the woman when she attended triage",
        "[a] the paper observation charts from the previous ward were lost in the transfer",
        "[m] the pt's Mental Health Act paperwork could not be found when the section was reviewed",
        "[amc] the previous safeguarding history could not be obtained from the local authority "
        "out of hours",
        "[a] the pt's records were still in the clinic office so the ward had to start fresh notes",
        "[a] the fluid chart from ED had gone missing",
        "[c] the wound care plan was not in the pt's home folder when the bank nurse visited",
        "[g] the pt's old paper records had been lost when the practice moved building",
        "[a] the echo and angiogram reports from the referring hospital were not available at "
        "the cardiology review",
        "[amcg] the letter from the specialist clinic was not available at the review and the "
        "plan was unknown",
        "[e] the crew arrived at the nursing home but the pt's records had been sent with an "
        "earlier transfer and no history was available",
    ),
    "patient_identification": (
        "[amc!] the pt was wearing another pt's wristband",
        "[a!] two pts with similar names were in the same bay and the wrong one was taken to X-ray",
        "[a] the pt arrived in theatre with no wristband and identity was not confirmed",
        "[g] the GP started the consultation with the record of a different pt with the same "
        "surname open",
        "[a] a duplicate hospital number was created on admission so the pt had two records",
        "[acg] a clinic letter about one pt was filed in the record of another pt",
        "[a!] the wrong pt was called through for endoscopy as two pts called {surname} were "
        "waiting",
        "[amc] the pt's identity was not checked before the procedure",
        "[m!] a pt was given another pt's depot injection after answering to the wrong name",
        "[e] two casualties from the same RTC were booked in under each other's names",
        "[a] the wristband had the wrong hospital number printed on it",
        "[amc] the photo on the pt's record was of a different person",
        "[a!] the porter collected the wrong pt from the bay for a scan",
        "[acg] the pt's record had been merged with that of another pt of the same name",
        "[g] the pt was registered twice at the practice with different spellings of their name",
        "[a] blood was about to be given to the wrong pt; the bedside check stopped it",
        "[m!] a pt was allowed off the ward on leave meant for another pt with a similar name",
        "[a!] the pt was addressed by the wrong name and answered to it",
        "[e!] the crew collected the wrong resident from the care home for the planned transfer",
        "[a] the NHS number on the request form did not match the pt's wristband",
        "[c!] the district nurse went to the wrong flat and started assessing a pt with the same "
        "surname",
        "[a] the pt was found to be wearing two wristbands with different details",
        "[g] the prescription was issued in the name of the pt's wife, who shares the same "
        "initials",
        "[a] a baby on the postnatal ward was given a name band with the wrong mother's name",
        "[a] the consent form was signed by the wrong pt, who had the same surname",
        "[amc!] staff went by the bed number instead of checking identity and treated the wrong pt",
        "[acg] after a merge the pt's record showed the address and date of birth of another "
        "person",
        "[a] an unconscious pt was registered as unknown male and a second temporary record was "
        "then created",
        "[g!] the pharmacy handed the bag of medicines to a different pt with the same surname",
        "[a!] theatre sent for the pt in {bed} but the pt in the next bed was sent instead",
        "[a] the pt's name band had been cut off for a cannula and was not replaced",
        "[e] the pt's name was taken down wrongly at scene and an ED record was opened under the "
        "wrong name",
        "[amc] the name above the bed did not match the pt lying in it",
        "[a] the wrong pt's notes were taken to clinic and used for the consultation",
        "[g] the referral was made for the wrong pt because the GP had the sibling's record open",
        "[m] a new pt gave a false name and their identity was in doubt for two days",
        "[a!] the pt was identified by a relative instead of by wristband and it was the wrong pt",
        "[amc] a visitor answered for the pt and confirmed the wrong date of birth",
        "[c] the care home gave the district nurse the details of the wrong resident",
        "[a] the hospital number on the pt's label belonged to a pt who had died",
        "[amc] two pts called {surname} on the same ward were confused with each other",
        "[g] the receptionist booked the appointment for the wrong {surname} in the family",
        "[e] the care home staff gave the crew the details of a different resident",
        "[e!] the crew went to flat 2 instead of flat 12 and began treating a pt with almost the "
        "same name",
    ),
    "medication_information": (
        "[amc] the drug chart was missing when the pt arrived on the ward",
        "[a] the medicines reconciliation did not include the pt's weekly methotrexate",
        "[a] steroids started by the respiratory team were not on the GP list that the admitting "
        "team used",
        "[amc] staff did not know the pt was taking {med}",
        "[ag] the pt was prescribed from an old medication list",
        "[a] the pt's allergy status was not visible on the front of the drug chart",
        "[a] nobody on the ward knew the times of the pt's Parkinson's medication",
        "[g] the medication review was done without knowing that the hospital had stopped {med}",
        "[a] no medication history was taken on admission",
        "[m] the ward did not know where the pt was in their clozapine titration",
        "[c] the district nurses did not have an up-to-date list of the pt's insulin doses",
        "[amcg] the pt's allergy to {allergen} was not known at the time of prescribing",
        "[e] the pt could not tell the crew which blood thinner they took",
        "[a] the medicines brought in from home were never checked against the chart",
        "[a] the pt's anticoagulation status was unknown before the procedure",
        "[m] the ward did not know the depot dose or when it was next due",
        "[a] the TTOs were written before the medicines reconciliation had been completed",
        "[amc] the pt's insulin regimen was unknown to the nurses",
        "[a] the pharmacist could not confirm the pt's usual doses before surgery",
        "[ag] the recent change to the pt's {med} dose was not known to the team",
        "[a] the prescriber was unaware of an interacting medicine the pt was already taking",
        "[c] the care home MAR chart was missing",
        "[a] the second page of the drug chart had gone missing and the antibiotics were omitted",
        "[a] it was unclear whether the pt had had their morning {med} before transfer",
        "[g] the pt's hospital-only medicine was not on the practice medication list",
        "[a] the pt was not wearing an allergy band",
        "[a] the anaesthetist did not know the pt had stopped clopidogrel only two days before",
        "[m] the crisis team did not know the lithium dose from the previous admission",
        "[amc] the fentanyl patch the pt was wearing was not known about",
        "[a] no one could say when the last dose of {med} had been given",
        "[g] the medication history from the hospital was incomplete",
        "[e] the crew were not aware the pt was on an anticoagulant when assessing the head injury",
        "[amc] the pt's medicines were reconciled against an out-of-date list",
        "[a] the ward was unaware that the pt's {med} had been withheld in theatre",
        "[a] the prescriber did not have the pt's current medication list",
        "[c] the visiting nurse did not know which drugs and doses were in the syringe driver",
        "[g] the list of medicines sent by the care home was incomplete",
        "[m] nobody knew how much PRN lorazepam the pt had had in the previous 24 hours",
        "[a] the pt's weekly patch was missed from the drug history",
        "[amc] staff did not know the pt's insulin pump settings",
        "[ag] the prescriber did not know about the separate prescription for the pt's eye drops",
        "[m] the pt's clozapine had been paused elsewhere and the ward was unaware of the break in "
        "treatment",
        "[e] the crew did not know that the pt had already taken their rescue medication before "
        "they arrived",
        "[e] there was no chart in the house showing which anticipatory medicines had been given",
        "[e!] the crew gave aspirin without knowing that the hospital had told the pt to stop it",
        "[e] the care home staff could not say which of the pt's medicines had changed that week",
    ),
    "test_results": (
        "[a] an abnormal {test} result was not actioned for two days",
        "[a] the {scan} report was not reviewed before the pt was discharged",
        "[g] the abnormal result went to the inbox of a GP who had left the practice",
        "[a] nobody followed up the pending blood cultures after the pt went home",
        "[a] the blood sample was lost between the ward and the lab",
        "[g] a raised PSA was filed as normal without a clinician seeing it",
        "[a] the critical {test} result was viewed but nobody acted on it",
        "[m] clozapine bloods were taken but nobody checked the result before the next dose",
        "[m] the lithium level came back high but was not reviewed for a week",
        "[c] the district nurse took bloods but the results were never checked",
        "[a] the histology showing cancer sat unread in the consultant's inbox",
        "[a] the lung nodule reported on the chest X-ray was never followed up",
        "[a] the radiology report flagged an urgent finding that the team did not see",
        "[a] the troponin was sent but the result was not chased before the pt left ED",
        "[g] the cervical screening result was delayed by six weeks",
        "[a] the result was sent to the wrong consultant, who did not know the pt",
        "[a] an ECG was done and filed in the notes without any doctor reviewing it",
        "[g] the practice did not act on a low sodium result received over the weekend",
        "[a] the sensitivities came back resistant but the antibiotics were not changed",
        "[a] the MRI was delayed and the report was then not seen for three days",
        "[a] the urine sample went missing in transit to the lab",
        "[c] the INR from the community clinic was not reviewed before the next dose was set",
        "[g] abnormal liver function tests were marked as no action in error",
        "[a] the blood gas showed a high lactate which was not acted on",
        "[a] the outpatient {scan} result was not reviewed for four months after clinic",
        "[a] the echo report was not seen before the pt was discharged",
        "[ag] a positive blood culture was not followed up after discharge",
        "[a] the biopsy result was not seen by the consultant before the MDT",
        "[g] the pt's HbA1c was not reviewed and the pt was never recalled",
        "[e] the crew's 12-lead ECG showing a STEMI was not looked at by the receiving team for "
        "40 minutes",
        "[a] the haemolysed sample was never repeated and nobody noticed the missing result",
        "[a] the D-dimer was still pending when the pt went home and nobody checked it",
        "[g] a positive urine culture was received but no one acted on it",
        "[a] the CTPA report was issued but sat unacknowledged for a day",
        "[m] the physical health bloods taken on admission were never looked at",
        "[a] the team were unaware of the low haemoglobin as the result had not been checked",
        "[a] a potassium of 6.8 was neither repeated nor acted on",
        "[g] the TFTs were abnormal but the GP reviewing results read them as normal",
        "[c] the wound swab result took three weeks to come back",
        "[a] a batch of results waited for sign-off for more than a week",
        "[a] the ultrasound report recommending urgent referral was not acted on",
        "[ag] the {test} result was delayed because the lab lost the request",
        "[g] the pt's raised {test} was not followed up when the locum went through the results",
        "[e] the ECG printout went missing in the ambulance and was never seen",
        "[e] the clinical hub clinician did not look at the abnormal blood result in the pt's "
        "record before closing the call",
        "[e] the high blood glucose reading taken by the first crew was not acted on",
        "[e] the 12-lead ECG taken at scene was not reviewed before the pt was left at home",
        "[c] the district nurse's blood samples were left in the car and never reached the lab",
        "[c] a high potassium from the community bloods was filed without anyone checking it",
        "[c] the community matron did not review the pending {test} result after the visit",
        "[mc] the result of the {test} taken at the home visit was never followed up",
        "[m] the ECG done on admission was never reviewed by a doctor",
        "[m] the abnormal {test} from the depot clinic bloods was not acted on",
        "[m] the urine drug screen result was never looked at",
    ),
    "communication_handover": (
        "[amc] the pt's falls risk was not mentioned at handover",
        "[a] the night team were not told the pt was nil by mouth",
        "[ag] the discharge summary was never sent to the GP",
        "[gc] the referral to the district nurses was never received",
        "[amc] safeguarding concerns raised by the family were not passed on to the next shift",
        "[e] the care home did not tell the crew that the pt had a DNACPR in place",
        "[ac] the care plan was not communicated to the community team on discharge",
        "[a] a verbal instruction to keep the pt nil by mouth was misunderstood as sips only",
        "[m] the pt's recent threats towards staff were not handed over",
        "[m] the CMHT were not told that the pt had been discharged from the ward",
        "[a] the ward did not hand over that the pt needed two staff to mobilise",
        "[g] the hospital asked the practice to arrange follow-up but the request never reached "
        "the GP",
        "[c] the hospital did not tell the district nurses that the pt had a new catheter",
        "[amc] information about the pt's swallowing difficulty was not passed on",
        "[e] the crew's handover to ED left out that the pt had hit their head earlier in the day",
        "[a] the surgical team were not told that the pt had deteriorated overnight",
        "[a] the plan from the ward round was not relayed to the nurse looking after the pt",
        "[m] the pt's absconsion risk was not handed over when they moved wards",
        "[a] the referral to the falls clinic was delayed by three weeks",
        "[g] the two-week-wait referral was not sent",
        "[c] the social worker was not informed that the pt had gone home",
        "[a] the pt was moved to another ward without a verbal handover",
        "[amc] the family were not told about the change in the pt's condition",
        "[a] the on-call doctor was not made aware of the pt's escalation plan",
        "[c] the care agency was not informed about the new moving and handling plan",
        "[e] the call handler did not pass the key safe code on to the crew",
        "[e] EOC did not tell the crew about the history of violence at the address",
        "[m] the risk assessment was completed but not shared with the home treatment team",
        "[g] the practice did not inform the health visitor of the safeguarding concern",
        "[a] the speech and language therapy recommendations were not passed to the nurses",
        "[a] the outpatient letter was sent to the wrong GP practice",
        "[amc] the pt's request for female carers only was not handed over",
        "[a] ITU stepped the pt down without telling the ward about the tracheostomy care needs",
        "[c] the hospice was not told about the pt's preferred place of care",
        "[a] the anaesthetist was not told about the difficult airway found at the last operation",
        "[a] the pt's need for an interpreter was not passed on to the clinic",
        "[g] the receptionist took a message for the GP but it was not passed on",
        "[e] the clinical hub did not pass on to the crew that the pt was receiving palliative "
        "care",
        "[m] the ward did not let the GP know that the pt had gone on extended leave",
        "[a] the outcome of the discharge planning meeting was not communicated to the ward",
        "[c] the OT's recommendation for a hospital bed was not passed to the equipment service",
        "[a] the pt was sent home and the district nurse referral was not made",
        "[amc] the nurse in charge was not told that the pt had refused food for two days",
        "[ag] the discharge summary was received by the practice three weeks after discharge",
    ),
    "documentation_quality": (
        "[amc] the pt's observations were not recorded for eight hours",
        "[amc] the falls risk assessment had not been updated after the pt's first fall",
        "[amc!] repositioning was charted as done but the pt had not been turned",
        "[a] the entries were unsigned and undated so it was unclear who had reviewed the pt",
        "[a] resuscitation status was recorded as for CPR on one page and DNACPR on another",
        "[amc] the fluid balance chart was incomplete",
        "[a] the clerking was copied forward from a previous admission and described the wrong "
        "presenting complaint",
        "[m] the risk assessment had not been reviewed since admission despite new incidents",
        "[amc] the care plan was out of date and still said the pt could walk alone",
        "[a] the handwriting in the operation note was illegible",
        "[c] no wound assessment had been documented at the last three visits",
        "[a] the NEWS2 score had been added up wrongly on the chart",
        "[m] the observation level was recorded as general when the pt was on enhanced "
        "observations",
        "[g] no entry was made in the record for the home visit",
        "[a] the nursing notes said the pt was independent when they needed a hoist",
        "[amc] the pt's weight had been recorded wrongly",
        "[a] the consent form was incomplete, with the risks section left blank",
        "[amc] the Waterlow score had not been updated since admission",
        "[e] the ePCR was incomplete, with no set of obs recorded before conveyance",
        "[m] the 15-minute observation chart had been filled in ahead of time",
        "[amc] the food and fluid chart was filled in from memory at the end of the shift",
        "[a] the operation note recorded the wrong side",
        "[g] the problem list still showed a resolved diagnosis as active",
        "[a] the time of the cardiac arrest call was not documented",
        "[c!] the catheter care plan recorded a change that had not been done",
        "[a] the escalation plan section in the notes had been left blank",
        "[amc] the bed rails assessment had never been completed",
        "[m] the section 17 leave form was out of date",
        "[a] the neuro obs chart had gaps of four hours",
        "[amc] entries in the notes contradicted each other about whether physio had seen the pt",
        "[e] there was no documentation of the capacity assessment the crew said they did",
        "[g] the practice record had the pt's home address wrong",
        "[a] the DNACPR form had not been signed by a senior clinician",
        "[amc!] the skin check was documented as done but a grade 3 pressure ulcer was found "
        "the same day",
        "[a!] the swallow screen was recorded as passed although it had not been done",
        "[m] the seclusion record had not been completed",
        "[c] the visit record was copied from the previous week and did not reflect the pt's "
        "condition",
        "[a] the pt's baseline mobility was not documented on admission",
        "[g] the coded entries in the record wrongly showed the pt as not diabetic",
        "[amc] the bowel chart was not completed for four days",
        "[a] the nursing admission assessment was blank apart from the pt's name",
        "[amc] the capacity assessment was ticked as done but no details were written",
        "[a] the next of kin details in the notes were out of date",
        "[amc] the mobility care plan was contradictory, one page saying one assist and another "
        "saying hoist",
        "[e] the ePCR recorded the wrong time of onset of the stroke symptoms",
        "[e] the crew's record said the pt had been assessed for a head injury when they had not",
        "[e] the PCR obs had been copied across from the previous job",
        "[g] the notes of the telephone consultation were incomplete, with no safety-netting "
        "recorded",
        "[g] the locum's entry was never completed and the plan was unclear",
        "[g] the record said the pt had no carer when their son lived with them as carer",
        "[g] the blood pressure readings taken in clinic were not entered in the record",
    ),
    "it_system": (
        "{sys} was down for three hours",
        "[g] prescriptions could not be downloaded by the pharmacy because the EPS link had failed",
        "[e] the CAD crashed and calls had to be taken on paper",
        "[amcg] referrals could not be sent because {sys} kept freezing",
        "[amcge] the {role} could not log in because their smartcard had been locked",
        "[a] the EPR took so long to load each screen that the admission clerking took over an "
        "hour",
        "[a] the bed management system showed beds as free that were occupied",
        "[acg] two clinics had near-identical names in the drop-down and the follow-up was booked "
        "into the wrong one",
        "[a] the NEWS2 escalation alert on the EPR did not fire",
        "[amcg] the system logged the user out mid-entry and the work was lost",
        "[e] the ePCR tablet would not sync at the hospital",
        "[a] order comms rejected every request during the upgrade",
        "[a] the wifi on the ward kept dropping so the computers on wheels could not be used",
        "[g] the telephony system failed and pts could not get through to the surgery",
        "[e] the mapping in the CAD sent the crew to a street with the same name in the next town",
        "[a] after the update the task list was hidden behind another tab on the EPR",
        "[m] the e-observations app crashed during the night shift",
        "[c] the mobile working app would not load the day's visit list",
        "[a] the label printers linked to the EPR failed and nothing could be printed",
        "[amcg] planned downtime of {sys} over-ran by four hours",
        "[a] the electronic whiteboard froze and showed the previous day's bed state",
        "[g] the online consultation system crashed on {day} morning",
        "[e] the ePCR tablets would not start after a software update",
        "[amcg] {sys} timed out repeatedly during the consultation",
        "[a] the theatre scheduling system double-booked the list",
        "[a] the ED tracking screen stopped refreshing and waiting times were not visible",
        "[g] the new template in {sys} defaulted to the wrong appointment type",
        "[a] the interface between PAS and the EPR failed overnight",
        "[amc] the {role} was locked out of {sys} after a password reset and could not use it for "
        "two hours",
        "[e] the mobile data terminal in the ambulance kept rebooting",
        "[a] the sepsis screening tool in the EPR did not trigger",
        "[a] the EPR went down during the cardiac arrest call",
        "[mc] the remote access connection failed so staff could not use {sys} from home",
        "[a] the bedside barcode scanners would not connect to the system",
        "[g] the online booking system offered appointment slots that did not exist",
        "[a] the ED tracking board crashed and triage was done on paper",
        "[e] the NHS Pathways software froze in the middle of the call",
        "[a] the digital dictation system was unavailable all day",
        "[amcg] a software update moved the screens around without warning and staff could not "
        "find the referral form",
        "[a] the electronic bleep system failed for an hour",
        "[g] the video consultation platform dropped the call twice",
        "[amcg] {sys} would not let the user save the entry and kept showing an error",
        "[amcge] staff could not access {sys} for most of the morning because of a network fault",
    ),
}

# --------------------------------------------------------------------------------------------
# Multi-label core clauses (~40), following the combination and v1.1 decision rules
# --------------------------------------------------------------------------------------------

CORE_MULTI: tuple[str, ...] = (
    # sample or result attached to the wrong patient -> patient_identification + test_results
    "patient_identification;test_results | [a] the blood sample was labelled with another pt's "
    "details",
    "patient_identification;test_results | [acg] a {test} result was filed in another pt's record",
    "patient_identification;test_results | [a] two samples from the same bay were swapped before "
    "labelling",
    "patient_identification;test_results | [g] the {test} result was filed against a different "
    "pt with the same surname",
    "patient_identification;test_results | [a!] the group and save sample had been taken from "
    "the wrong pt",
    "patient_identification;test_results | [a] the {scan} report of another pt called {surname} "
    "was read as this pt's",
    # entries written in the wrong patient's notes -> patient_identification + documentation
    "patient_identification;documentation_quality | [amc] entries were written in the wrong "
    "pt's notes",
    "patient_identification;documentation_quality | [g] the consultation was documented in the "
    "record of the pt's husband",
    "patient_identification;documentation_quality | [a] the nursing assessment was completed in "
    "another pt's file",
    "patient_identification;documentation_quality | [m] the ward round entry was written in the "
    "notes of a pt with a similar name",
    # wrong patient + information passed on
    "patient_identification;communication_handover | [ag] the discharge summary went to the GP "
    "of a pt with a similar name, so the pt's own GP never received it",
    "patient_identification;communication_handover | [a] two pts' details were swapped on the "
    "handover sheet and the night team were given the wrong plan for each",
    "patient_identification;medication_information | [a!] another pt's drug chart was in the "
    "folder and was used on the drug round",
    # outage + specific information then missing
    "records_unavailable;medication_information;it_system | [a] the EPR was down so the pt's "
    "allergy could not be checked",
    "records_unavailable;medication_information;it_system | [g] the smartcard reader failed and "
    "the GP record could not be opened to check the pt's medication history",
    "records_unavailable;medication_information;it_system | [e] the ePCR tablet would not "
    "connect so the crew could not see the pt's medication list on the shared care record",
    "records_unavailable;test_results;it_system | [a] the results viewer was down so the earlier "
    "{test} results could not be seen",
    "records_unavailable;it_system | [a] during the EPR downtime the notes from the previous "
    "admission could not be viewed",
    "records_unavailable;it_system | [mc] the shared care record would not load, so the crisis "
    "plan could not be seen",
    # record could not be found + its content
    "records_unavailable;medication_information | [a] the pt's allergy was written only in the "
    "old paper notes, which could not be found",
    "records_unavailable;medication_information | [a] the drug history could not be obtained as "
    "the GP practice was closed for the weekend",
    # wrong or out-of-date medicines record -> medication_information + documentation_quality
    "medication_information;documentation_quality | [a] the drug chart said no known allergies "
    "while the GP record showed an allergy to {allergen}",
    "medication_information;documentation_quality | [a] the insulin chart was not rewritten "
    "after the dose change",
    "medication_information;documentation_quality | [g] the repeat template still included {med} "
    "that had been stopped last year",
    "medication_information;documentation_quality | [amc] the {med} dose on the drug chart was "
    "illegible",
    "medication_information;documentation_quality | [c] the MAR chart still showed the old dose "
    "of {med}",
    # amended prescription / letter never seen -> communication_handover + what was lost
    "communication_handover;medication_information | [a] the TTO was changed after it went to "
    "pharmacy and the new dose was never seen by the pharmacist",
    "communication_handover;medication_information | [ag] the discharge summary copied the old "
    "dose of {med}",
    "communication_handover;medication_information | [ag] the discharge letter sent to the GP "
    "listed the old dose of warfarin",
    "communication_handover;medication_information | [ac] the change in the {med} dose was not "
    "communicated to the district nurses",
    "communication_handover;medication_information | [m] the ward did not tell the GP that the "
    "pt's clozapine had been stopped",
    "communication_handover;medication_information | [a] the anticoagulation plan was not handed "
    "over to the night team",
    "communication_handover;test_results | [a] the lab phoned a critical potassium to the ward "
    "but it was not passed on to the doctor",
    "communication_handover;test_results | [ag] the pending {test} result was left off the "
    "discharge summary and no one followed it up",
    "communication_handover;test_results | [m] the community team were not told about the "
    "abnormal ECG found on the ward",
    "communication_handover;documentation_quality | [a] the handover sheet had not been updated "
    "and still showed the pt as for full escalation",
    "communication_handover;documentation_quality | [m] the updated risk assessment was not "
    "shared and the old one on file still said low risk",
    # digital system + the information it affected
    "medication_information;it_system | [a] the e-prescribing drop-down defaulted to the "
    "modified-release form of {med} and it was prescribed by mistake",
    "medication_information;it_system | [a] the interaction alert in the e-prescribing system "
    "did not fire for {med} with {med2}",
    "medication_information;it_system | [g] no allergy alert appeared in {sys} when {allergen} "
    "was prescribed",
    "communication_handover;it_system | [ag] the interface failed and the discharge summary "
    "never reached the GP",
    "communication_handover;it_system | [e] the CAD failed to pass the safeguarding warning on "
    "to the crew",
    "communication_handover;it_system | [c] the electronic referral to the district nurses was "
    "lost in the system and was never received",
    "test_results;it_system | [ag] the abnormal {test} result sat in an interface error queue "
    "and was never actioned",
    "test_results;it_system | [a] results were not transferring from the lab system to the EPR, "
    "so the high {test} was not seen",
    "patient_identification;it_system | [a] PAS merged two pts' records during the data migration",
    "patient_identification;it_system | [a] the EPR auto-filled the previous pt's details into "
    "the new request",
    "communication_handover;records_unavailable | [e] the DNACPR form was not sent with the pt "
    "on transfer and the crew had no record of the pt's wishes",
    "communication_handover;records_unavailable | [a] the pt was transferred without their notes "
    "and no verbal handover was given",
    "communication_handover;medication_information | [e] the crew's handover to ED did not "
    "mention the morphine given on scene",
    "communication_handover;test_results | [e] the pre-alert did not mention the abnormal ECG "
    "taken at scene",
    "records_unavailable;it_system | [e] the shared record would not load on the tablet so the "
    "crew could not see the pt's end of life plan",
    "patient_identification;documentation_quality | [e] after a double job the crew completed "
    "the ePCR under the other pt's name",
    "test_results;documentation_quality | [a] the abnormal {test} result was written in the "
    "notes as normal",
    "patient_identification;medication_information;communication_handover | [g] the hospital "
    "letter with the new {med} dose was filed in another pt's record, so the GP never saw it",
)

# --------------------------------------------------------------------------------------------
# Core event clauses with no label (>= 120)
# --------------------------------------------------------------------------------------------

CORE_NONE: tuple[str, ...] = (
    # falls
    "[amc!] the pt was found on the floor beside the bed at {time}",
    "[amc!] the pt fell while walking to the toilet without their frame",
    "[amc!] the pt slipped in the shower and sustained a skin tear",
    "[c!] the pt fell at home while the carer was in the kitchen",
    "[m!] the pt fell in the garden area and hit their head",
    "[e!] the pt slipped while being moved onto the carry chair",
    "[g!] the pt fainted in the waiting room and fell",
    "[a!] the pt fell from the commode",
    "[amc!] the pt tripped over the drip stand",
    "[a!] the pt slid from the chair to the floor with no injury",
    "[m!] an older adult pt fell in the corridor during the night",
    "[c!] the pt fell in the lounge of the care home and fractured their wrist",
    "[a!] the pt fell in the bay while trying to climb over the bed rails",
    # pressure ulcers
    "[amc!] the pt developed a category 2 pressure ulcer on the sacrum",
    "[c!] a category 3 pressure ulcer was found on the pt's heel at the first home visit",
    "[a!] device-related pressure damage was found under the oxygen tubing",
    "[a!] a moisture lesion was found on the pt's buttocks",
    "[c!] the pressure-relieving mattress had been switched off by the family",
    "[a!] the pt was on a trolley in ED for 14 hours and developed pressure damage",
    # violence and aggression
    "[m!~] the pt assaulted a member of staff during a restraint",
    "[m~] the pt threw a chair across the lounge",
    "[a~] a relative was verbally abusive to the nurse at the station",
    "[e~] the crew were assaulted by the pt's relative at the address",
    "[g~] the pt became aggressive at reception when the clinic was running late",
    "[m!] two pts fought in the dining room",
    "[a~] a pt with delirium punched the HCA",
    "[c~] the district nurse was threatened by a dog at the pt's house",
    "[m~] the pt spat at staff when asked to return to their room",
    # self-harm
    "[m!] the pt tied a ligature in the bathroom and was found quickly by staff",
    "[m!] the pt self-harmed with a broken CD case",
    "[a!] a pt in ED took an overdose of tablets brought from home while waiting",
    "[m!] the pt swallowed a battery",
    "[m!] the pt cut their arm with glass from a broken window",
    "[c] the pt disclosed self-harm during the visit and was referred to the crisis team the "
    "same day",
    # absconsion
    "[m] a detained pt absconded while on escorted leave",
    "[m] an informal pt left the ward without telling staff and returned later",
    "[a] a pt with dementia left the ward and was found in the car park",
    "[m] the pt climbed over the garden fence and absconded",
    "[a] the pt left ED before being seen",
    "[m] the pt failed to return from section 17 leave on time",
    # staffing
    "[amc] the ward ran with two registered nurses for 28 pts",
    "[a] no doctor was available to review the pt for three hours because of sickness",
    "[m] enhanced observations could not be staffed safely because of shortages",
    "[c] several district nursing visits were cancelled because of short staffing",
    "[e] there was a long response time as no crews were available",
    "[g] the practice had no GP cover for the afternoon",
    "[amc!] a dose of {med} was missed because the nurse was pulled to another ward",
    "[a!] analgesia was delayed as the only nurse with the CD keys was on break",
    "[amc~] the shift was covered by three agency staff who had not worked on the ward before",
    # equipment faults (not IT)
    "[a] the infusion pump alarmed repeatedly and was taken out of service",
    "[amc] the hoist battery failed halfway through a transfer",
    "[a] the electric bed would not lower",
    "[a] the oxygen cylinder on the transfer trolley was empty",
    "[e] the stretcher jammed in the ambulance",
    "[a] the suction on the resus trolley was not working",
    "[a~] the defibrillator battery was flat at the daily check",
    "[c] the syringe driver stopped overnight",
    "[amc] the pressure-relieving mattress deflated",
    "[a] the blood pressure machine gave inconsistent readings",
    "[e] the ambulance tail lift failed at the address",
    "[g~] the vaccine fridge temperature went out of range overnight and the stock was quarantined",
    "[amc] the footplate was missing from the wheelchair",
    "[a] the oxygen flow meter on the wall was faulty",
    "[c] the hoist sling was frayed and had to be withdrawn",
    # administration slips with correct information
    "[a!] IV antibiotics were given three hours late as the ward was busy",
    "[a!] a dose of {med} was missed because it was out of stock on the ward",
    "[a!] the IV infusion was run faster than prescribed",
    "[m!] PRN medication was given before the charted interval had passed",
    "[e!] the crew gave the wrong dose of adrenaline from the kit",
    "[a!] the IV line was connected to the wrong port",
    # clinical technique errors
    "[a!] the cannula tissued and caused an extravasation injury",
    "[a!] catheter insertion caused bleeding",
    "[a!] a swab was left in the wound and found at the dressing change",
    "[amc!] the compression bandage was applied too tightly",
    "[a!] an artery was punctured during venepuncture for routine bloods",
    "[a!] the lumbar puncture was abandoned after three attempts",
    "[e!] the pt's cervical collar was fitted incorrectly",
    "[g!] the pt fainted after a vaccination",
    "[a!] the chest drain came out during the transfer",
    "[a!] venepuncture was attempted five times",
    "[c!] a skin tear was caused while removing an adhesive dressing",
    "[a!] the NG tube was pulled out by the pt and had to be replaced",
    # confidentiality breaches (information incidents, but none of the seven labels)
    "[a~] a handover sheet was found in the hospital canteen",
    "[amc~] notes with pt details were left in a public corridor",
    "[g~] a receptionist discussed a pt's details loudly in the waiting room",
    "[m~] a pt's details were emailed to the wrong internal distribution list",
    "[c~] a district nurse left the visit list in a pt's home",
    "[a~] a staff member looked up a neighbour's record without a clinical reason",
    "[e~] a paper PCR blew out of the ambulance at scene",
    "[g~] a pt's test results were discussed on the phone with a relative without consent",
    "[amc~] a handover list was left on the photocopier in the public area",
    # delays for bed capacity
    "[a] the pt waited 16 hours in ED for a medical bed",
    "[e] the crew waited three hours outside ED to hand over the pt as there were no cubicles",
    "[m] no mental health bed was available and the pt was placed out of area",
    "[a~] the elective operation was cancelled on the day because there were no beds",
    "[a] the pt was boarded in a ward corridor overnight",
    "[c] discharge from the community hospital was delayed while waiting for a care package",
    "[a] the pt waited in the discharge lounge for six hours for transport",
    "[e] there was a long wait for an ambulance as all crews were held at hospitals",
    # other incidents with no information element
    "[a!] the pt scalded their hand on a hot drink",
    "[a!] the pt choked on a sandwich brought in by a visitor",
    "[amc~] the pt's hearing aids were lost during the transfer",
    "[a~] the pt's dentures were thrown away with the meal tray",
    "[c] the care agency did not turn up for the lunchtime call",
    "[g~] the pt waited four weeks for a routine appointment because of demand",
    "[e~] the ambulance was in a minor collision on the way to the call",
    "[amc~] a member of staff had a needlestick injury when disposing of a sharp",
    "[a~] a visitor fainted in the bay",
    "[m~] contraband was found in the pt's room after leave",
    "[m~] a pt smoked in the bathroom and set off the fire alarm",
    "[a~] a fire door was found wedged open",
    "[amc!] the pt developed C. difficile diarrhoea",
    "[g!] the pt collapsed in the surgery car park",
    "[e] the crew were delayed by road works on the way to the address",
    "[amc!] the pt was scalded in the bath",
    "[a!] the pt's skin was marked by the blood pressure cuff left on overnight",
    "[g~] the practice had to close early because of a power cut",
)

# Confounders: information words where information did not contribute. No label.
CORE_NONE_CONFOUNDERS: tuple[str, ...] = (
    "[amc!] falls risk assessment completed and documented; the pt fell despite a sensor mat "
    "being in place",
    "[amc!] the pt had an unwitnessed fall and neuro obs were started and recorded as per policy",
    "[a!] the pt rolled out of bed; bed rails were not in use as per the assessment",
    "[amc] the pt declined repositioning despite an explanation of the risks, and this was "
    "documented",
    "[amc!] heel blisters developed despite regular repositioning that was seen to be done",
    "[c!] the pt's leg ulcer deteriorated despite the dressings plan being followed",
    "[amc!] the nurse drew up 10 units of insulin instead of the 4 units clearly prescribed",
    "[amc!] the evening medicines were given at lunchtime by mistake although the chart was clear",
    "[g!] the wrong vaccine was taken from the fridge although the pt's record was clear",
    "[a!] the pt was given paracetamol twice within two hours; the chart was correct",
    "[c!] the district nurse gave the correct insulin dose but late in the day",
    "[amc!] the correctly prescribed {med} was given to the pt an hour late",
    "[a!] the pt developed a DVT despite prophylaxis being given as prescribed",
    "[a!] the pt had a hypo although their insulin had been given as prescribed",
    "[amc!] falls risk assessment completed and documented; the pt fell while mobilising with "
    "their frame",
    "[a!] handover was thorough and the pt's sepsis was recognised and treated promptly",
    "[amc!] obs were recorded hourly on the EPR and the pt was escalated promptly when the NEWS "
    "rose",
    "[a!] bloods were reviewed promptly and the pt was treated for hyperkalaemia",
    "[g] the records were reviewed and the diagnosis was correct, but the pt declined treatment",
    "[a!] the discharge summary was sent the same day; the pt was readmitted with a new chest "
    "infection",
    "[m!] the risk assessment was up to date and shared with the team, but the pt still "
    "self-harmed",
    "[amc!] the care plan was followed and documented, but the pt developed a pressure ulcer",
    "[a!] the allergy status was correctly recorded and checked; the pt reacted to a new "
    "antibiotic",
    "[e] the crew had full access to the pt's records and the pt refused conveyance",
    "[a] the EPR was working normally; the delay was due to theatre availability",
    "[g] the results were normal and were given to the pt",
    "[amc!] the pt's DNACPR was in place, documented and handed over; the pt died peacefully",
    "[a!] the pt was identified with their wristband before the procedure, which was "
    "complicated by bleeding",
    "[m] the pt's leave was agreed at the MDT and recorded in the notes; the pt came back "
    "intoxicated",
    "[c!] the referral was received promptly and the visit made on time, but the pt had fallen "
    "before the visit",
    "[amc!] {med} was given as prescribed and the pt had a known side effect",
    "[a!] the scan was reported and acted on the same day; the pt needed surgery",
    "[g] the GP had the full hospital letter but the pt did not attend the follow-up",
    "[e!] the crew gave a full handover to ED staff and the pt deteriorated later in resus",
    "[a] the notes were reviewed at the MDT and the plan was clear; surgery was delayed by a "
    "theatre overrun",
    "[amc!] the nurse checked the drug chart correctly but the pt spat the tablets out",
    "[m!] observation levels were recorded accurately; the pt was found with a ligature during "
    "a check",
    "[amc!] the pt's allergies were available on the EPR and checked; the pt still had a "
    "reaction to the new dressing",
    "[g] the repeat prescription was correct and ready but the pt did not collect it",
    "[a!] the results were available and seen on the ward round; the pt deteriorated despite "
    "treatment",
    "[c!] the care plan was available in the home and up to date; the pt declined the "
    "dressing change",
    "[e] the EPR showed a full care plan and the crew followed it",
)

# --------------------------------------------------------------------------------------------
# Outcome clauses (~40). Prefix: harm / noharm / nearmiss / neutral.
# --------------------------------------------------------------------------------------------

OUTCOMES: tuple[str, ...] = (
    "noharm | no harm came to the pt",
    "noharm | the pt came to no apparent harm",
    "noharm | no harm identified on review",
    "noharm | no harm caused",
    "noharm | the pt was unharmed",
    "noharm | no lasting harm",
    "nearmiss | near miss, picked up before any harm",
    "nearmiss | spotted by a colleague before it reached the pt",
    "nearmiss | identified at the safety check and put right",
    "nearmiss | noticed in time - near miss",
    "nearmiss | recognised and corrected before it affected care",
    "harm | low harm: the pt needed extra monitoring overnight",
    "harm | moderate harm, the pt needed a longer stay",
    "harm | [a] the pt was moved to HDU for closer monitoring",
    "harm | the pt needed treatment and made a full recovery",
    "harm | [amc] discharge was delayed by two days",
    "harm | the pt was distressed by what happened",
    "harm | treatment was delayed as a result",
    "harm | duty of candour applied and the family were informed in writing",
    "harm | duty of candour conversation held with the pt and family",
    "harm | [ac] the pt needed a further procedure",
    "neutral | [amc] escalated to the nurse in charge",
    "neutral | [a] escalated to the on-call registrar",
    "neutral | escalated to the duty manager",
    "neutral | Datix completed",
    "neutral | reported on Datix",
    "neutral | Datix'd",
    "neutral | incident reported via LFPSE",
    "neutral | apology given to the pt",
    "neutral | the pt received a verbal and written apology",
    "neutral | apology given to the family",
    "neutral | discussed at the morning safety huddle",
    "neutral | for review at the governance meeting",
    "neutral | learning shared at the team meeting",
    "neutral | [amc] matron made aware",
    "neutral | [g] practice manager informed",
    "neutral | [e] station manager informed",
    "neutral | the family were informed",
    "neutral | reflection to be completed by the staff involved",
    "neutral | [g] to be discussed at the practice significant event meeting",
    "neutral | rapid review requested by the lead nurse",
    "neutral | the family have made a complaint",
    "neutral | PALS contacted by the family",
)

# --------------------------------------------------------------------------------------------
# Noise clauses (~40). Prefix: labels the clause would contradict (the report must carry none).
# --------------------------------------------------------------------------------------------

NOISE: tuple[str, ...] = (
    "records_unavailable;documentation_quality;it_system | [amc] obs were recorded on the EPR "
    "as usual",
    "communication_handover | [amc] handover was given at {shift}",
    "communication_handover | [amcg] NOK were informed by phone",
    "test_results | [a] the morning bloods were otherwise unremarkable",
    "patient_identification | [amc] the pt's wristband was checked and correct",
    "records_unavailable;it_system | [amcg] the pt's notes were available on the system",
    "it_system | {sys} was working normally that day",
    "[amc] the pt has a history of dementia",
    "[acg] the pt lives alone with a package of care",
    "[a] the pt had been admitted two days earlier with a chest infection",
    "[amcge] the pt has capacity",
    "communication_handover;documentation_quality | [amc] the care plan was discussed at the "
    "safety huddle",
    "[a] the ward had three admissions in an hour",
    "medication_information;documentation_quality | [amc] the drug chart had been reviewed by "
    "the ward pharmacist on {day}",
    "documentation_quality | [amc] the Waterlow score was recorded on admission",
    "documentation_quality | [amc] a falls risk assessment was completed on admission",
    "communication_handover | [amc] the GP had been informed of the admission",
    "records_unavailable | [a] the pt's old notes had arrived on the ward",
    "[e] the crew arrived within the target time",
    "[e] the pt was taken to the nearest ED",
    "communication_handover | [e] a pre-alert was given to the receiving hospital",
    "[g] the pt had been seen at the practice the week before",
    "test_results | [g] the pt's blood tests from last month had been reviewed and were normal",
    "[amcge] an interpreter was used",
    "communication_handover | [m] the care coordinator was aware of the admission",
    "documentation_quality | [amc] the pt was on four-hourly obs on the ward",
    "[acg] the pt's daughter was present",
    "[amc] this happened during visiting time",
    "it_system | [a] the EPR had been upgraded the previous week without problems",
    "[a] the consultant was in clinic at the time",
    "[am] the pt had been on the ward for three weeks",
    "[amcge] the pt is known to have type 2 diabetes",
    "documentation_quality | [amc] the pt's mobility was documented as needing one assist",
    "records_unavailable;medication_information;communication_handover;documentation_quality | "
    "[amc] the pt's notes, drug chart and care plan were all with the pt",
    "[amcge] the pt's first language is not English",
    "[e] the crew was a paramedic and an EMT",
    "[g] the surgery was running 40 minutes late",
    "[c] the visit was on the morning list",
    "[amc] the pt was in a side room near the nurses' station",
    "test_results | [a] bloods were sent and reviewed at 0600",
    "patient_identification | [amcg] the pt's identity was confirmed with name and date of birth",
    "communication_handover | [a] the SBAR handover to the night team was completed",
    "medication_information;documentation_quality | [amc] the pt's allergies were checked and "
    "recorded on admission",
    "[amc] the pt is usually independent and mobile",
    "medication_information | [acg] the pt's repeat prescription had been issued the week before",
    "[amc] the pt was being nursed in a separate bay because of norovirus on the ward",
    "[g] the pt had been given a separate appointment for a blood pressure check",
    "it_system | [amcg] staff had access to {sys} throughout the shift",
    "[amcg] the pt had received the flu vaccine the month before",
    # longer background sentences
    "[a] the pt is an 87-year-old woman admitted with a urinary tract infection and new "
    "confusion, who normally lives at home with her husband",
    "[m] the pt is a 34-year-old man with a long history of psychosis who was admitted after a "
    "relapse over the summer",
    "[c] the pt is housebound with heart failure and COPD and is visited twice a week by the "
    "district nursing team for leg ulcer care",
    "[g] the pt is a 62-year-old man with type 2 diabetes and hypertension who comes in for an "
    "annual review every spring",
    "[e] the call came from a neighbour who had heard the pt shouting for help through the wall "
    "and rang 999",
    "[a] every bed on the ward was full, with four pts waiting in ED and two discharges waiting "
    "for transport",
    "[a] the pt is a 71-year-old man two days after a bowel resection, with atrial fibrillation "
    "and chronic kidney disease, who had been making steady progress until that evening",
    "[a] the ward was one registered nurse short for the second night running and the site team "
    "had been made aware at the start of the shift",
    "[m] the pt had been on the ward for six weeks after a relapse of bipolar disorder and had "
    "been having escorted leave in the grounds without any problems",
    "[c] the pt is 92 and lives alone in a first-floor flat with carers calling four times a "
    "day, and has been on the district nursing caseload since last winter",
    "[g] the pt is a 45-year-old woman with asthma and anxiety who has seen several different "
    "clinicians at the practice over the last few months",
    "[e] it was a very busy night, with the service at its highest escalation level and crews "
    "queuing outside most of the hospitals in the area",
    "[e] the pt is an 80-year-old man in sheltered housing with a pendant alarm, who called for "
    "help after feeling unwell for two days",
    "[m] the pt is known to the home treatment team and has been supported at home with daily "
    "visits for the last fortnight",
)

# --------------------------------------------------------------------------------------------
# Surface variation
# --------------------------------------------------------------------------------------------

TYPOS: tuple[tuple[str, str], ...] = (
    ("received", "recieved"),
    ("separate", "seperate"),
    ("patient", "pateint"),
    ("prescription", "perscription"),
    ("discharge summary", "discharge sumary"),
    ("available", "availible"),
    ("access", "acess"),
)

# (full form, abbreviation); swapped one way or the other at random per report.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("patients", "pts"),
    ("patient", "pt"),
    ("observations", "obs"),
    ("general practitioner", "GP"),
    ("next of kin", "NOK"),
    ("electronic patient record", "EPR"),
    ("emergency department", "ED"),
    ("healthcare assistant", "HCA"),
    ("nil by mouth", "NBM"),
)

# Clauses matching the same pattern say the same kind of thing: at most one per report.
OUTCOME_GROUPS: tuple[str, ...] = (r"apolog", r"Datix|LFPSE", r"complaint|PALS", r"escalated")
PROFILE = re.compile(
    r"^the pt (is an? |is \d|is housebound|is known to the |had been on the ward|"
    r"had been admitted)|^every bed|^the ward was one"
)

SECOND_CORE_LINKS: tuple[str, ...] = (
    "also ",
    "in addition ",
    "separately, ",
    "on the same shift ",
    "it was also found that ",
    "later ",
    "",
    "",
    "",
)
NOISE_LINKS: tuple[str, ...] = ("", "", "", "of note, ", "for context, ", "")
OPENING_SEPARATORS: tuple[str, ...] = (": ", ". ", ", ", " - ", ". ")
SEPARATORS: tuple[str, ...] = (". ", ". ", ". ", ". ", "; ", " - ", ", ")


# --------------------------------------------------------------------------------------------
# Parsing of bank entries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One bank entry, parsed."""

    text: str
    labels: frozenset[str]
    settings: frozenset[str]
    reached: bool = False
    nonclinical: bool = False
    context: str = "any"


_BRACKET = re.compile(r"^\[([amcge!~]+)\]\s*")

# In community and mental health care a report is either about an inpatient unit or about care
# outside one (home visits, clinics, crisis and home treatment teams). Clauses are sorted by
# wording, and one report never mixes the two.
_WARD_WORDS = re.compile(
    r"\{ward\}|\b(ward|wards|bay|side room|nurses' station|on admission|admitted|admission|"
    r"drug round|seclusion|136 suite|section 17|leave|PICU|community hospital|step-down|"
    r"bed rails|commode|sensor mat|visiting time)\b"
)
_OUT_WORDS = re.compile(
    r"\b(home|house|visit|visits|visited|flat|address|morning list|CMHT|depot clinic|"
    r"crisis team|community base|early intervention|leg ulcer clinic|district nursing|"
    r"rapid response|intermediate care)\b"
)


def _context(text: str) -> str:
    ward, out = bool(_WARD_WORDS.search(text)), bool(_OUT_WORDS.search(text))
    return "ward" if ward and not out else "out" if out and not ward else "any"


def _fits(clause_context: str, context: str) -> bool:
    return "any" in (clause_context, context) or clause_context == context


_SLOT = re.compile(r"\{(\w+?)(2?)\}")


def parse(entry: str, prefixed: bool = False) -> Clause:
    """Parse ``"[labels |] [codes] text"`` into a :class:`Clause`."""
    labels: frozenset[str] = frozenset()
    if prefixed:
        head, entry = entry.split(" | ", 1)
        labels = frozenset(part for part in head.split(";") if part)
    settings = frozenset(SETTINGS)
    reached = nonclinical = False
    match = _BRACKET.match(entry)
    if match:
        codes = match.group(1)
        chosen = {SETTING_CODES[c] for c in codes if c in SETTING_CODES}
        if chosen:
            settings = frozenset(chosen)
        reached, nonclinical = "!" in codes, "~" in codes
        entry = entry[match.end() :]
    return Clause(entry, labels, settings, reached, nonclinical, _context(entry))


def _with_label(clause: Clause, label: str) -> Clause:
    return Clause(
        clause.text,
        frozenset([label]),
        clause.settings,
        clause.reached,
        clause.nonclinical,
        clause.context,
    )


def _parse_outcome(entry: str) -> tuple[str, Clause]:
    kind, rest = entry.split(" | ", 1)
    return kind, parse(rest)


SINGLE = {label: [_with_label(parse(e), label) for e in CORE_SINGLE[label]] for label in LABELS}
MULTI = [parse(e, prefixed=True) for e in CORE_MULTI]
NONE_EVENTS = [parse(e) for e in CORE_NONE]
NONE = NONE_EVENTS + [parse(e) for e in CORE_NONE_CONFOUNDERS]
NOISES = [parse(e, prefixed=" | " in e) for e in NOISE]
OUTCOME_CLAUSES = [_parse_outcome(e) for e in OUTCOMES]


# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def _weighted(rng: np.random.Generator, options, weights):
    w = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=w / w.sum()))]


def _fill(text: str, setting: str, cache: dict[str, str], rng: np.random.Generator) -> str:
    """Replace ``{slot}`` placeholders, reusing a value already drawn for this report."""

    def pool(name: str) -> tuple[str, ...]:
        values = SLOTS[name]
        return values[setting] if isinstance(values, dict) else values

    def repl(match: re.Match[str]) -> str:
        name, second = match.group(1), match.group(2)
        if name not in cache:
            cache[name] = _pick(rng, pool(name))
        if not second:
            return cache[name]
        key = name + second
        if key not in cache:
            cache[key] = _pick(rng, [v for v in pool(name) if v != cache[name]])
        return cache[key]

    return _SLOT.sub(repl, text)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _keep_case(replacement: str, original: str) -> str:
    """Capitalise ``replacement`` if ``original`` was a capitalised lower-case word."""
    if original[:1].isupper() and original[1:2].islower() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _swap_abbreviations(text: str, mode: str, rng: np.random.Generator) -> str:
    """Contract full forms to abbreviations, or expand abbreviations, in one clause.

    Runs on clauses before they are joined and capitalised, so an expanded ``EPR`` reads
    "electronic patient record" in mid-sentence.
    """
    if mode == "keep":
        return text
    for full, abbr in ABBREVIATIONS:
        if mode == "contract":
            pattern = re.compile(rf"\b{re.escape(full)}\b", re.IGNORECASE)
            new = abbr
        else:
            flags = re.IGNORECASE if abbr.islower() else 0
            tail = r"(?! practice| surgery)" if abbr == "GP" else ""
            pattern = re.compile(rf"\b{re.escape(abbr)}\b{tail}", flags)
            new = full
        text = pattern.sub(
            lambda m, new=new: _keep_case(new, m.group(0)) if rng.random() < 0.85 else m.group(0),
            text,
        )
    return text


def _add_typos(text: str, rng: np.random.Generator) -> str:
    for right, wrong in TYPOS:
        pattern = re.compile(re.escape(right), re.IGNORECASE)
        text = pattern.sub(
            lambda m, wrong=wrong: (
                _keep_case(wrong, m.group(0)) if rng.random() < 0.7 else m.group(0)
            ),
            text,
        )
    return text


def _join(
    sentences: list[str], first_separators: tuple[str, ...] | None, rng: np.random.Generator
) -> str:
    """Join clauses with a per-report main separator, occasionally mixing in others."""
    main = _pick(rng, SEPARATORS)
    out = _capitalise(sentences[0])
    for i, sentence in enumerate(sentences[1:]):
        if i == 0 and first_separators is not None:
            sep = _pick(rng, first_separators)
        else:
            sep = main if rng.random() < 0.75 else _pick(rng, SEPARATORS)
        if sep == ". " and rng.random() < 0.05:
            sep = ".  "
        out += sep + (_capitalise(sentence) if sep.startswith(".") else sentence)
    return out + ("." if rng.random() < 0.83 else "")


def _choose_setting(pool: list[Clause], rng: np.random.Generator, minimum: int = 4) -> str:
    """Draw a setting by :data:`SETTING_WEIGHTS` among those with enough clauses in ``pool``."""
    options = [s for s in SETTINGS if sum(s in c.settings for c in pool) >= minimum]
    return _weighted(rng, options, [SETTING_WEIGHTS[s] for s in options])


def _in_setting(
    pool: list[Clause], setting: str, exclude: Clause | None = None, context: str = "any"
) -> list[Clause]:
    return [
        c for c in pool if setting in c.settings and c is not exclude and _fits(c.context, context)
    ]


def _report_context(setting: str, clauses: list[Clause]) -> str:
    """``ward``, ``out`` or ``any``: the context the clauses so far fix for the report."""
    if setting not in ("community", "mental_health"):
        return "any"
    fixed = {c.context for c in clauses} - {"any"}
    return fixed.pop() if fixed else "any"


def _choose_cores(
    kind: str, label: str | None, other: str | None, rng: np.random.Generator
) -> tuple[str, list[Clause]]:
    """The setting and core clauses for one report of the given kind (see :data:`KIND_SHARES`)."""
    if kind == "none":
        setting = _choose_setting(NONE, rng)
        cores = [_pick(rng, _in_setting(NONE, setting))]
        if rng.random() < 0.15:
            context = _report_context(setting, cores)
            cores.append(_pick(rng, _in_setting(NONE, setting, cores[0], context)))
        return setting, cores
    if kind == "pair":  # two single-label clauses with different labels
        setting = _choose_setting(SINGLE[label], rng)
        first = _pick(rng, _in_setting(SINGLE[label], setting))
        seconds = _in_setting(SINGLE[other], setting, None, _report_context(setting, [first]))
        if not seconds:
            return setting, []  # no clause for the other label here: the caller redraws
        return setting, [first, _pick(rng, seconds)]
    pool = SINGLE[label] if kind == "single" else MULTI
    setting = _choose_setting(pool, rng)
    cores = [_pick(rng, _in_setting(pool, setting))]
    if rng.random() < 0.12:  # an unrelated incident in the same report
        context = _report_context(setting, cores)
        cores.append(_pick(rng, _in_setting(NONE_EVENTS, setting, None, context)))
    return setting, cores


def compose(setting: str, cores: list[Clause], rng: np.random.Generator) -> str:
    """Build one report text for ``setting`` from its core clauses."""
    labels = frozenset().union(*(c.labels for c in cores))
    reached = any(c.reached for c in cores)
    nonclinical = any(c.nonclinical for c in cores)
    cache: dict[str, str] = {}
    abbreviations = _weighted(rng, ("contract", "expand", "keep"), (0.30, 0.40, 0.30))

    def fill(text: str) -> str:
        return _swap_abbreviations(_fill(text, setting, cache, rng), abbreviations, rng)

    length = _weighted(rng, ("short", "normal", "long"), (0.10, 0.83, 0.07))
    n_outcomes = {"short": int(rng.integers(0, 2)), "long": int(rng.integers(2, 4))}.get(
        length, _weighted(rng, (0, 1, 2), (0.30, 0.45, 0.25))
    )
    n_noise = {"short": 0, "long": int(rng.integers(3, 7))}.get(
        length, _weighted(rng, (0, 1, 2, 3), (0.35, 0.35, 0.20, 0.10))
    )
    with_opening = length == "long" or (length == "normal" and rng.random() < 0.62)
    context = _report_context(setting, cores)
    opening = None
    if with_opening:
        openings = [o for o in OPENINGS[setting] if _fits(_context(o), context)]
        opening = _pick(rng, openings)
        if setting in ("community", "mental_health") and context == "any":
            context = _context(opening)

    # core clauses, in random order, the second one linked to the first
    order = list(rng.permutation(len(cores)))
    body = [fill(cores[order[0]].text)]
    for i in order[1:]:
        body.append(_pick(rng, SECOND_CORE_LINKS) + fill(cores[i].text))

    # outcomes: at most one of harm / no harm / near miss
    severity_used = False
    candidates = [
        (kind, c)
        for kind, c in OUTCOME_CLAUSES
        if setting in c.settings
        and _fits(c.context, context)
        and not (kind == "nearmiss" and reached)
        and not (kind == "harm" and nonclinical)
    ]
    outcomes: list[str] = []
    for _ in range(n_outcomes):
        allowed = [(k, c) for k, c in candidates if k == "neutral" or not severity_used]
        kind, clause = _pick(rng, allowed)
        candidates.remove((kind, clause))
        for group in OUTCOME_GROUPS:
            if re.search(group, clause.text):
                candidates = [(k, c) for k, c in candidates if not re.search(group, c.text)]
        severity_used |= kind != "neutral"
        outcomes.append(fill(clause.text))
    if outcomes and rng.random() < 0.10:  # "No harm caused. The pt ..." - outcome first
        body = outcomes[:1] + body + outcomes[1:]
    else:
        body += outcomes

    # noise, anywhere in the body, never contradicting the labels
    noise_pool = [c for c in NOISES if setting in c.settings and not c.labels & labels]
    for i in range(n_noise):
        if setting in ("community", "mental_health"):
            noise_pool = [c for c in noise_pool if _fits(c.context, context)]
        background = [c for c in noise_pool if PROFILE.search(c.text)]
        # a long report gets at least one background sentence, not only short filler
        clause = _pick(
            rng, background if i == 0 and length == "long" and background else noise_pool
        )
        noise_pool.remove(clause)
        if clause in background:  # one background sentence per report: they describe the pt
            noise_pool = [c for c in noise_pool if not PROFILE.search(c.text)]
        if setting in ("community", "mental_health") and context == "any":
            context = clause.context
        body.insert(int(rng.integers(len(body) + 1)), _pick(rng, NOISE_LINKS) + fill(clause.text))

    if opening is not None:
        text = _join([fill(opening)] + body, OPENING_SEPARATORS, rng)
    else:
        text = _join(body, None, rng)
    if rng.random() < 0.2:
        text = _add_typos(text, rng)
    if rng.random() < 0.08:
        text = text.lower()
    return text


def _plan(n: int, rng: np.random.Generator) -> list[str]:
    counts = {
        kind: int(round(n * share)) for kind, share in KIND_SHARES.items() if kind != "single"
    }
    counts["single"] = n - sum(counts.values())
    kinds = [kind for kind in KIND_SHARES for _ in range(counts[kind])]
    return [kinds[i] for i in rng.permutation(len(kinds))]


def _least(counts: dict[str, int], rng: np.random.Generator, exclude: str | None = None) -> str:
    options = [label for label in LABELS if label != exclude]
    low = min(counts[label] for label in options)
    return _pick(rng, [label for label in options if counts[label] == low])


def generate(n: int = N_REPORTS, seed: int = SEED) -> list[dict[str, str]]:
    """Return ``n`` report rows (dicts with the output columns), deterministically."""
    rng = np.random.default_rng(seed)
    label_counts = dict.fromkeys(LABELS, 0)
    seen: set[str] = set()
    rows = []
    for number, kind in enumerate(_plan(n, rng), start=1):
        label = other = None
        if kind in ("single", "pair"):
            label = _least(label_counts, rng)
        if kind == "pair":
            other = _pick(rng, [lab for lab in LABELS if lab != label])
        for _attempt in range(1000):
            setting, cores = _choose_cores(kind, label, other, rng)
            if not cores:
                continue
            text = compose(setting, cores, rng)
            key = " ".join(text.lower().split())
            if key not in seen and 8 <= len(text.split()) <= 150:
                break
        else:  # pragma: no cover - the banks are large enough
            raise RuntimeError(f"could not draw a new report for row {number}")
        seen.add(key)
        labels = frozenset().union(*(c.labels for c in cores))
        for lab in labels:
            label_counts[lab] += 1
        rows.append(
            {
                "report_id": f"GEN-{number:05d}",
                "setting": setting,
                "source": "generated",
                "text": text,
                "labels": ";".join(lab for lab in LABELS if lab in labels),
            }
        )
    return rows


def check_banks() -> None:
    """Fail loudly if a bank is too small, malformed or breaks the label rules."""
    problems = []
    if sum(len(v) for v in OPENINGS.values()) < 60:
        problems.append("fewer than 60 openings")
    for label in LABELS:
        if len(SINGLE[label]) < 40:
            problems.append(f"fewer than 40 core clauses for {label}")
    if len(MULTI) < 40:
        problems.append("fewer than 40 multi-label core clauses")
    if len(NONE) < 120:
        problems.append("fewer than 120 no-label core clauses")
    if len(OUTCOMES) < 40 or len(NOISE) < 40:
        problems.append("fewer than 40 outcome or noise clauses")
    for clause in MULTI:
        if len(clause.labels) < 2 or not clause.labels <= set(LABELS):
            problems.append(f"bad labels on multi-label clause {clause.text!r}")
    for clause in NOISES:
        if not clause.labels <= set(LABELS):
            problems.append(f"bad labels on noise clause {clause.text!r}")
    if any(kind not in ("harm", "noharm", "nearmiss", "neutral") for kind, _ in OUTCOME_CLAUSES):
        problems.append("unknown outcome kind")
    every = (
        [c.text for v in SINGLE.values() for c in v]
        + [c.text for c in MULTI]
        + [c.text for c in NONE]
        + [c.text for c in NOISES]
        + [c.text for _, c in OUTCOME_CLAUSES]
        + [t for v in OPENINGS.values() for t in v]
    )
    if len(set(every)) != len(every):
        problems.append("duplicate bank entries")
    for text in every:
        if "[" in text or " | " in text:
            problems.append(f"unparsed prefix in {text!r}")
        for name, _ in _SLOT.findall(text):
            if name not in SLOTS:
                problems.append(f"unknown slot {name!r} in {text!r}")
    if problems:
        raise ValueError("; ".join(problems))


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=["report_id", "setting", "source", "text", "labels"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)


def summarise(rows: list[dict[str, str]], n_examples: int = 10) -> str:
    label_sets = [[lab for lab in row["labels"].split(";") if lab] for row in rows]
    lines = [f"rows: {len(rows)}"]
    for label in LABELS:
        lines.append(f"  {label:<24} {sum(label in s for s in label_sets)}")
    lines.append(f"no label: {sum(not s for s in label_sets)}")
    lines.append(f"two or more labels: {sum(len(s) >= 2 for s in label_sets)}")
    words = [len(row["text"].split()) for row in rows]
    lines.append(
        f"words per report: min {min(words)}, median {int(np.median(words))}, max {max(words)}"
    )
    rng = np.random.default_rng(SEED + 1)
    lines.append("examples:")
    for i in sorted(rng.choice(len(rows), size=min(n_examples, len(rows)), replace=False)):
        row = rows[int(i)]
        lines.append(
            f"  {row['report_id']} [{row['setting']}] ({row['labels'] or '-'}) {row['text']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=N_REPORTS, help="number of reports (1200)")
    parser.add_argument("--out", type=Path, default=OUT, help="output CSV path")
    args = parser.parse_args()
    check_banks()
    rows = generate(args.n)
    write_csv(rows, args.out)
    print(f"wrote {args.out}")
    print(summarise(rows))


if __name__ == "__main__":
    main()
