"""Make the demo incident export used by ``safetylens demo`` (seeded, byte-identical each run).

Run from the repository root::

    python scripts/make_demo_data.py

It rewrites three files in ``sample_data/`` and prints monthly totals per site and label group.

The data
--------
Two fictional hospitals, Northgate General Hospital and Riverside Community Hospital, report
patient-safety incidents from January 2018 to December 2023 (72 months). Each goes live with an
electronic patient record (EPR) on its own date: Northgate on 01/04/2020 and Riverside on
01/10/2021, so each site's pre-rollout months serve as a comparison for the other's.

``demo_incidents.csv`` (one row per report, like a UK Datix export)
    ``incident_id``   ``DX`` and six digits, numbered in date order.
    ``site``          the hospital.
    ``ward``          where the incident happened.
    ``incident_date`` day-first ``dd/mm/yyyy`` text (03/04/2021 is 3 April).
    ``description``   free text, 10 to 120 words.
    ``true_labels``   the information-linked labels the generator meant the text to carry
                      (``safetylens/data/taxonomy.md``), ``;``-joined in taxonomy order, empty for none.
                      They are for checking the classifier, not an input to it.
``demo_rollouts.csv``
    ``site``, ``rollout_date`` (``dd/mm/yyyy``).
``demo_bed_days.csv``
    ``site``, ``month`` (``yyyy-mm``), ``occupied_bed_days`` (beds x days x occupancy, with a
    winter peak: about 14,000 to 16,500 a month at Northgate, 12,000 to 14,000 at Riverside).

How the counts behave
---------------------
Every month, site and incident family (not information-linked, or the primary label of an
information-linked report) gets an expected rate per 1,000 occupied bed days:

- a base rate per family (``BASE_RATES``);
- reporting culture: rates grow by 3% a year over the whole period, at both sites;
- seasonality: a winter peak about 10% above the yearly mean, lowest in July;
- after the site's go-live, information-linked families other than ``it_system`` drop by 25%
  (level change) and then fall by a further 0.6% a month (slope change);
- ``it_system`` rises sharply for four months around go-live (x1.6 the month before, then x5,
  x4 and x2.5 from the go-live month on) and then settles 10% above its old rate.

Counts are Poisson with a gamma-distributed rate (shape 100, a little overdispersion), so an
interrupted time-series analysis of information-linked incidents per 1,000 bed days should find
a level drop of roughly a quarter at each site, while incidents that are not information-linked
show only the slow growth and seasonality that the rollout did not cause.

How the text is made
--------------------
Each description joins an optional opening ("Night shift.", "On Ward 7 at 0310."), one core
sentence from the bank for its family and optional context clauses, actions and outcomes.
Core sentences carry their own labels (one to three), written against the taxonomy's decision
rules, so a report of a sample labelled with the wrong patient's details is
``patient_identification;test_results``. Slots such as ``{drug}``, ``{doc}`` or ``{time}`` are
filled at random, and ``{records}`` or ``{chart}`` read as paper before the site's go-live and
as the EPR after it. ``it_system`` reports use legacy-system sentences before go-live, cutover
sentences in the month before it, go-live sentences in the first three months and EPR sentences
after. The openings, context clauses,
actions and outcomes carry no label. All names, places and numbers are invented; the text holds no patient
identifiers.
"""

# ruff: noqa: E501  (the sentence banks keep one sentence per line, which reads and diffs best)

from __future__ import annotations

import calendar
import random
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from safetylens.taxonomy import LABELS

SEED = 20240611
OUT_DIR = Path(__file__).resolve().parent.parent / "sample_data"


FIRST_MONTH = (2018, 1)
N_MONTHS = 72

SITES = (
    # name, EPR go-live date, staffed beds
    ("Northgate General Hospital", date(2020, 4, 1), 560),
    ("Riverside Community Hospital", date(2021, 10, 1), 475),
)

# Wards by kind; descriptions that name a setting are placed in a ward of that kind.
WARDS = {
    "Northgate General Hospital": {
        "inpatient": (
            "Ward 7 (Care of the Elderly)",
            "Ward 12 (Respiratory)",
            "Ward 9 (Stroke)",
            "Ward 4 (Orthopaedics)",
            "Ward 15 (General Surgery)",
            "Ward 21 (Cardiology)",
            "Acute Medical Unit",
            "Ward 18 (Gastroenterology)",
        ),
        "emergency": ("Emergency Department",),
        "theatre": ("Main Theatres", "Day Surgery Unit"),
        "maternity": ("Delivery Suite", "Neonatal Unit"),
        "outpatient": ("Outpatients", "Fracture Clinic"),
        "community": ("Community Nursing (North)",),
        "critical": ("Intensive Care Unit",),
    },
    "Riverside Community Hospital": {
        "inpatient": (
            "Rowan Ward (Rehabilitation)",
            "Oak Ward",
            "Willow Ward (Older Adults)",
            "Beech Ward (Step-down)",
            "Elm Ward (Palliative)",
        ),
        "emergency": ("Urgent Treatment Centre",),
        "theatre": ("Day Surgery Unit",),
        "maternity": ("Riverside Birth Centre",),
        "outpatient": ("Outpatients", "Diabetes Clinic"),
        "community": ("Community Nursing (Riverside)", "Community Nursing (East)"),
        "critical": ("Willow Ward (Older Adults)",),
    },
}

# Words that place a description in a kind of ward (case-insensitive; first match wins).
SETTING_KEYWORDS = (
    ("maternity", r"delivery suite|midwife|labour|birth plan|twin|babies|baby"),
    ("theatre", r"theatre|pre-op|operation|swab count"),
    ("critical", r"\bITU\b|intensive care"),
    ("emergency", r"\bED\b|resus|ambulance handover|the department|cubicle"),
    ("outpatient", r"\bclinic\b|outpatient|\bMDT\b"),
    ("community", r"district nurse|home visit|community nurse|first visit|health visitor"),
)

# ------------------------------------------------------------------------------------------
# Rates
# ------------------------------------------------------------------------------------------

BASE_RATES = {
    # incidents per 1,000 occupied bed days in January 2018, before seasonality
    "none": 1.20,
    "records_unavailable": 0.17,
    "patient_identification": 0.13,
    "medication_information": 0.22,
    "test_results": 0.16,
    "communication_handover": 0.20,
    "documentation_quality": 0.16,
    "it_system": 0.18,
}
GROWTH_PER_YEAR = 0.03
SEASONAL_AMPLITUDE = 0.10
LEVEL_DROP = 0.25
SLOPE_PER_MONTH = -0.006
IT_SPIKE = {-1: 1.6, 0: 5.0, 1: 4.0, 2: 2.5}
IT_SETTLED = 1.10
GAMMA_SHAPE = 100.0

# ------------------------------------------------------------------------------------------
# Slots filled at random in every sentence. A tuple is used in any era; a dict gives the
# choices before ("pre") and after ("post") the site's EPR go-live.
# ------------------------------------------------------------------------------------------

SLOTS = {
    "pt": ("the patient", "the pt", "pt", "the patient", "the pt"),
    "Pt": ("The patient", "Pt", "Patient", "Pt", "The pt"),
    "doc": ("FY1", "FY2", "SHO", "registrar", "on-call doctor", "ANP", "CT1", "F1 doctor"),
    "nurse": (
        "staff nurse",
        "RN",
        "nurse in charge",
        "bank nurse",
        "agency nurse",
        "band 6",
        "night nurse",
        "charge nurse",
    ),
    "hca": ("HCA", "healthcare assistant", "nursing assistant", "HCA"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "drug": (
        "amlodipine",
        "bisoprolol",
        "levetiracetam",
        "sertraline",
        "apixaban",
        "ramipril",
        "furosemide",
        "metformin",
        "gliclazide",
        "digoxin",
        "prednisolone",
        "omeprazole",
        "levothyroxine",
        "sodium valproate",
        "atorvastatin",
        "quetiapine",
    ),
    "abx": (
        "co-amoxiclav",
        "piperacillin-tazobactam",
        "gentamicin",
        "clarithromycin",
        "flucloxacillin",
        "ceftriaxone",
        "doxycycline",
    ),
    "test": (
        "U&Es",
        "FBC",
        "LFTs",
        "CRP",
        "troponin",
        "INR",
        "blood cultures",
        "CXR",
        "CT head",
        "ultrasound abdomen",
        "urine culture",
        "TFTs",
    ),
    "n": ("2", "3", "4", "5"),
    "age": tuple(str(a) for a in range(58, 98)),
    "sex": ("man", "woman", "gentleman", "lady"),
    "condition": (
        "a UTI",
        "pneumonia",
        "a fall at home",
        "an exacerbation of COPD",
        "cellulitis",
        "heart failure",
        "sepsis",
        "delirium",
        "an AKI",
        "a stroke",
        "chest pain",
        "a GI bleed",
        "reduced mobility",
    ),
    "round": ("morning drug round", "lunchtime drug round", "evening drug round", "ward round"),
    "family": ("daughter", "son", "wife", "husband", "NOK", "niece", "carer"),
    "Family": ("Daughter", "Son", "Wife", "Husband", "NOK", "Niece", "Carer"),
    "records": {
        "pre": ("the notes", "the paper notes", "the case notes", "the medical notes"),
        "post": ("the EPR", "the electronic record", "the EPR notes", "the patient's EPR"),
    },
    "chart": {
        "pre": ("drug chart", "paper drug chart", "inpatient drug chart", "drug chart"),
        "post": ("e-prescribing record", "EPMA chart", "electronic drug chart", "eMAR"),
    },
    "obs": {
        "pre": ("obs chart", "NEWS2 chart", "paper obs chart"),
        "post": ("e-obs", "electronic obs record", "obs on the EPR"),
    },
}

# ------------------------------------------------------------------------------------------
# Text around the core sentence: openings, context clauses and outcomes carry no label.
# ------------------------------------------------------------------------------------------

# Openings, context clauses, actions and outcomes that suit any report ...
OPENINGS = (
    "Night shift.",
    "Late shift, very busy.",
    "Early shift.",
    "Reported by {nurse}.",
    "At approx {time}.",
    "{day} morning.",
    "{day} night.",
    "Weekend.",
    "Bank holiday weekend.",
    "Reporter: {nurse}. Time approx {time}.",
    "Incident at {time}.",
    "Written up by the {doc}.",
    "Raised by the nurse in charge after discussion with the team.",
    "Reported on behalf of the team.",
)
CONTEXTS = (
    "The ward was at full capacity with {n} outliers.",
    "There were two admissions arriving at the same time.",
    "The ward had one RN off sick.",
    "It was the first shift for the {nurse} on this ward.",
    "The {doc} was covering three wards.",
    "The hospital was on OPEL 4 that day.",
)
ACTIONS = (
    "Staff involved were spoken to by the ward manager the same day.",
    "Senior sister aware and came to the ward.",
    "Staff stayed late to sort it out.",
    "Discussed with the matron on the day.",
)
OUTCOMES = (
    "Ward manager informed.",
    "Matron aware.",
    "Escalated to the site manager.",
    "Discussed at the safety huddle.",
    "For review at the divisional governance meeting.",
    "Reflection to be completed by the staff involved.",
    "Learning to be shared at the ward meeting.",
    "Datix completed.",
)
# ... and those that only make sense when the core sentence is about one patient.
PATIENT_OPENINGS = (
    "During the {round}.",
    "Discovered at {time} by the {hca}.",
    "Pt known to the ward from a previous admission.",
)
INPATIENT_OPENINGS = (
    "Pt, {age} years old, admitted with {condition}.",
    "{age} yo {sex}, admitted with {condition}.",
    "Background: admitted {n} days ago with {condition}.",
)
WARD_OPENINGS = (
    "On {ward} at {time}.",
    "{ward}, {day} evening.",
    "{ward}, night shift.",
    "Incident on {ward}.",
)
PATIENT_CONTEXTS = (
    "Pt has dementia and was confused overnight.",
    "Pt is hard of hearing.",
    "Pt lives alone with a package of care.",
    "Pt has a learning disability and lives in supported accommodation.",
    "NEWS2 score {n} at the time.",
    "BP 120/80, HR 88 at the time.",
    "Pt was due for discharge later that day.",
    "Pt was on the end of life pathway.",
    "Family were visiting at the time.",
    "Pt is usually independent at home.",
    "Pt had been moved bays twice in 24 hours for infection control reasons.",
    "Pt speaks limited English; {family} was interpreting.",
    "Pt was drowsy after analgesia.",
    "Pt had been in hospital for {n} weeks.",
)
PATIENT_ACTIONS = (
    "The {doc} was bleeped and attended within 15 minutes.",
    "Escalated to the nurse in charge, who reviewed {pt} straight away.",
    "{Pt} made comfortable and the obs repeated an hour later.",
    "Explained to {pt} what had happened and apologised.",
    "The {doc} was informed and a plan was made on the {round}.",
    "{Family} were upset and a meeting was offered with the matron.",
    "The {doc} reviewed {pt} at {time} and was happy for the plan to continue.",
    "Outreach were asked to review and agreed with the ward plan.",
    "The {nurse} stayed with {pt} until things were settled.",
)
PATIENT_OUTCOMES = (
    "Obs stable throughout.",
    "Pt comfortable this morning.",
    "Reviewed by the consultant who was happy with the plan.",
    "Pt and {family} updated.",
)
# Harm grades, used only when the core sentence tells of no injury or harm of its own, and
# follow-up for one that does.
HARM_GRADES = ("No harm.", "Low harm.", "No harm but potential for serious harm.")
PATIENT_HARM_GRADES = ("No apparent harm to {pt}.", "{Pt} reviewed by the {doc}, no ill effects.")
HARMED_OUTCOMES = (
    "{Family} informed and an apology given.",
    "Duty of candour discussion held with {family}.",
    "Level of harm to be confirmed at the harm review panel.",
)

# ------------------------------------------------------------------------------------------
# Core sentences. Each entry is (labels, text); labels are "+"-joined, "" for none.
# Labels follow safetylens/data/taxonomy.md, including the v1.1 decision rules.
# ------------------------------------------------------------------------------------------

# fmt: off
NOT_INFORMATION_LINKED = (
    # falls
    ("", "{Pt} found on the floor beside the bed at {time}; unwitnessed fall. Neuro obs started, no head injury seen."),
    ("", "Pt slipped in the bathroom while mobilising with a frame and sustained a small skin tear to the left forearm."),
    ("", "{Pt} climbed over the bed rails and fell. X-ray showed a fractured neck of femur and ortho were asked to review."),
    ("", "Fell from the chair while reaching for the call bell. Falls risk assessment had been completed and documented on admission and a sensor mat was in place."),
    ("", "{Pt} fell in the corridor on the way to the toilet, unsteady on feet, bruise to the right hip."),
    ("", "Pt lost balance while walking with the physio and was lowered to the floor. No injury."),
    ("", "A visitor tripped over a cable near the nurses' station and hurt her wrist."),
    ("", "Second fall this admission. Pt on anticoagulants so CT head done within the hour as per the falls policy, no bleed."),
    ("", "Pt stood up from the commode without waiting for help and fell backwards, hitting the back of the head."),
    ("", "Pt rolled out of a low bed onto the crash mat. Bed was at its lowest setting, no injury."),
    # pressure damage and skin
    ("", "Category 2 pressure ulcer found on the sacrum on day 5 of the admission. Pt immobile and incontinent, repositioned 2 hourly."),
    ("", "Category 3 pressure damage to the left heel. Pt had repeatedly declined heel offloading boots."),
    ("", "Device related pressure damage behind both ears from the oxygen tubing."),
    ("", "Pt admitted from home with a category 4 sacral pressure ulcer; safeguarding referral made by the ward."),
    ("", "Moisture associated skin damage to the buttocks. Barrier cream applied and continence reviewed."),
    ("", "Skin tear to the shin while being transferred with the stand aid."),
    # violence and aggression
    ("", "Pt became aggressive during personal care and punched the {hca} in the face."),
    ("", "Relative verbally abusive to staff at the nurses' station; security called and he left the ward."),
    ("", "Pt threw a cup of tea at a student nurse. Tea was not hot, no injury."),
    ("", "Pt with delirium grabbed the nurse's arm and scratched her, drawing blood."),
    ("", "Pt spat at staff when asked to return to the bay and threatened to hit the {nurse}."),
    ("", "Two patients in bay 3 argued over the television and one pushed the other."),
    # staffing and capacity
    ("", "Ward staffed with 3 RNs for 28 patients on nights against a plan of 5; sickness not covered by bank or agency."),
    ("", "No HCA on the late shift, so the 1:1 supervision of the pt in side room 2 could not be kept up."),
    ("", "Agency nurse booked for the night did not arrive. Ward ran one RN short all night."),
    ("", "Only one midwife on the delivery suite for two women in established labour."),
    ("", "Missed dose of {drug} at 1800 because the only RN was dealing with a cardiac arrest in bay 2."),
    ("", "No bed available; {pt} waited 14 hours in the department on a trolley."),
    ("", "Ambulance handover delayed by 3 hours due to crowding in the department."),
    ("", "Elective list cancelled on the day as there was no ITU bed after the operation."),
    ("", "Hospital transport did not arrive and {pt} missed the dialysis session."),
    ("", "Antibiotics for sepsis were given 90 minutes after recognition because of crowding and no free cubicle."),
    # non-digital equipment
    ("", "Infusion pump alarmed occlusion repeatedly although the line was patent. Pump replaced and sent to EBME."),
    ("", "Hoist battery went flat mid-transfer and {pt} was left in the sling for five minutes until a second hoist came."),
    ("", "Suction not working at the bedside when checked at the start of the shift; replaced from the next bay."),
    ("", "Bed brake failed and the bed moved as {pt} sat on the edge; pt steadied by the {hca}."),
    ("", "Pressure relieving mattress deflated overnight, motor faulty. Pt found lying on the bed frame."),
    ("", "Commode wheel came off during a transfer. Pt held by two staff, no injury."),
    ("", "Defibrillator on the resus trolley failed its daily check; replacement borrowed from the next ward."),
    ("", "Syringe driver stopped with 5 ml left in the syringe because of a battery fault."),
    ("", "Oxygen cylinder found empty on the transfer to X-ray; pt desaturated to 86% and a new cylinder was fetched."),
    ("", "Bariatric bed not available for 8 hours after admission; pt kept on a trolley."),
    # administration slips and clinical technique with correct information
    ("", "Wrong dose drawn up: 10 mg instead of 5 mg of morphine. Noticed at the second check and not given."),
    ("", "IV {abx} given 2 hours late because the cannula had tissued and two attempts to re-cannulate failed."),
    ("", "Insulin given at the right dose but the meal tray did not arrive; BM 2.8, hypo treated as per protocol."),
    ("", "A {drug} tablet was found in the bed sheets; pt had not swallowed it at the {round}."),
    ("", "IV fluids ran at 250 ml/hr instead of 125 ml/hr because the pump was programmed wrongly. Prescription was correct."),
    ("", "Cannula site red and swollen, phlebitis score 3; cannula had been in for 5 days."),
    ("", "NG tube displaced when {pt} coughed; tube removed and feed stopped."),
    ("", "Traumatic urinary catheter insertion with frank haematuria afterwards."),
    ("", "Extravasation of IV contrast into the forearm during the scan."),
    ("", "Swab count incorrect at the end of the operation; X-ray in theatre found the swab in the wound."),
    ("", "Post-op bleed requiring a return to theatre the same evening."),
    ("", "Needlestick injury to a staff member while resheathing a needle after a blood test."),
    ("", "Overfilled sharps bin; porter scratched by a protruding needle."),
    ("", "Pt choked on a sandwich and back blows were given. SALT had assessed pt as safe for a normal diet."),
    ("", "Hospital acquired DVT despite a VTE assessment on admission and prophylaxis given as prescribed."),
    ("", "Pt burnt on the thigh by a hot water bottle brought in from home."),
    ("", "Third degree tear after an instrumental delivery, repaired in theatre."),
    # absconding, environment, infection control, confidentiality
    ("", "Pt absconded from the ward while on 15 minute observations; found by the police at home."),
    ("", "Pt self-discharged against medical advice after being told of the plan to stay in."),
    ("", "Water leak from the ceiling in bay 4; three beds moved and the bay closed."),
    ("", "Heating failure on the ward, temperature 16C overnight, extra blankets given."),
    ("", "Lift out of order; transfer to theatre delayed by 40 minutes."),
    ("", "Norovirus outbreak, bay closed with four patients affected."),
    ("", "Fire alarm activation, ward evacuated horizontally to the next ward."),
    ("", "A handover sheet with patient details was found in the public toilets. Information incident, sheet shredded."),
    ("", "Staff member overheard discussing a pt's diagnosis in the lift. Confidentiality breach raised with the manager."),
    ("", "Pt had a seizure in the shower and hit their head on the tiles."),
    ("", "Pt bitten on the hand by another pt who is confused."),
)

RECORDS_UNAVAILABLE = (
    ("records_unavailable", "{Pt} transferred to {ward} without the paper notes. The admitting {doc} had no history and had to re-clerk from scratch."),
    ("records_unavailable", "Could not get hold of the GP record overnight to confirm {pt}'s past medical history, so the plan was put off until the morning."),
    ("records_unavailable", "The previous CT from the referring trust was not available to the radiologist and no comparison could be made."),
    ("records_unavailable", "Old notes requested from medical records on {day} were not received in time; the consultant saw {pt} in clinic without them."),
    ("records_unavailable", "The paper file could not be found. Searched the office, the notes trolley and the discharge lounge."),
    ("records_unavailable", "Pre-op assessment paperwork missing on the morning of surgery; theatre list delayed while the pre-op nurse was contacted."),
    ("records_unavailable", "On the first visit the district nurse could not see the hospital wound care plan, so the dressing was chosen from what {pt} described."),
    ("records_unavailable", "Scans from the referring hospital had not been uploaded before the MDT and the case was deferred by a week."),
    ("records_unavailable", "ED staff could not see the crisis team's notes, which are held by another trust, so {pt}'s mental health history was unknown."),
    ("records_unavailable", "The out of hours GP had no access to {pt}'s end of life care plan and sent them into hospital against their stated wishes."),
    ("records_unavailable", "The consent form was missing when {pt} arrived in theatre; it was later found in the clinic office."),
    ("records_unavailable", "The ambulance crew's patient report form could not be found when the {doc} came to clerk {pt}."),
    ("records_unavailable", "Nursing home sent {pt} in without any paperwork or baseline information, so staff did not know the usual level of confusion."),
    ("records_unavailable", "Physio could not find the previous moving and handling assessment, so did not know {pt} needs two staff and a hoist."),
    ("records_unavailable", "The advance care plan held by the hospice could not be obtained by the ward team at 0200."),
    ("records_unavailable", "Pt with a learning disability arrived without the hospital passport and staff did not know how he shows pain."),
    ("records_unavailable", "Notes for the 0900 clinic were delivered to the wrong building; {n} patients were seen without their records."),
    ("records_unavailable", "Birth plan not available on delivery suite; the midwife had to ask the woman about her wishes during established labour."),
    ("records_unavailable", "The shared care record could not be viewed as consent had not been asked, so {pt}'s baseline was unknown."),
    ("records_unavailable", "Notes from the previous admission were with the coding department and could not be retrieved out of hours."),
    ("records_unavailable", "The locum {doc} could not find the anaesthetic record from the last procedure, so the known difficult airway was not anticipated."),
    ("records_unavailable", "Only volume 2 of the notes came up to the ward; volume 1, with the cardiac history, could not be found."),
    ("records_unavailable", "Referral letter giving the reason for admission was not in {records}, so the team did not know why {pt} had been sent in."),
    ("records_unavailable", "The letter from the neurology clinic had not been filed and was not in {records} when {pt} was seen for follow up."),
    ("records_unavailable", "Health visitor could not obtain the birth notes from the other trust before the new birth visit."),
    ("records_unavailable", "Prison healthcare records were not sent with {pt}, so the team had no history for the admission."),
    ("records_unavailable+medication_information", "The cardiology clinic letter was not in {records}, so the {doc} did not know the bisoprolol had been stopped and re-prescribed it."),
    ("records_unavailable+medication_information", "Care home did not send the MAR sheet or any paperwork with {pt}; regular medicines could not be confirmed and were not prescribed until day 2."),
    ("records_unavailable+medication_information", "Could not reach the GP surgery over the weekend to confirm the medication list, so {pt} missed two days of {drug}."),
    ("records_unavailable+medication_information", "Clozapine dose could not be confirmed because the mental health trust pharmacy record was unobtainable overnight; doses withheld until the morning."),
    ("records_unavailable+test_results", "The echo report from the previous admission could not be found, so the echo was repeated and the valve surgery referral was delayed."),
    ("records_unavailable+test_results", "Previous biopsy result held by the other trust could not be obtained before the MDT."),
)

PATIENT_IDENTIFICATION = (
    ("patient_identification", "{Pt} was wearing a wristband with another patient's name on it; noticed by the {nurse} at the bedside check before giving {drug}."),
    ("patient_identification", "Two patients called Smith in the same bay; {drug} was almost given to the wrong Mr Smith and was stopped at the bedside check."),
    ("patient_identification", "Duplicate record created at registration, so the history was split across two hospital numbers."),
    ("patient_identification", "A discharge letter for another patient was put in {pt}'s TTO bag and taken home."),
    ("patient_identification", "The porter brought the wrong patient to X-ray; a pt with a similar name in the next bay had been called."),
    ("patient_identification", "Unlabelled urine sample sent from the ward; lab discarded it and it had to be repeated."),
    ("patient_identification", "Two patients' records were merged in error; a letter about one was addressed to the other."),
    ("patient_identification", "NOK details on the record belonged to a different patient, and the wrong family was phoned about a deterioration."),
    ("patient_identification", "{Pt} had no wristband at all when transferred to {ward}."),
    ("patient_identification", "In clinic {pt}, who is hard of hearing, answered to another name and was nearly given another patient's vaccine."),
    ("patient_identification", "CT request completed for the wrong patient; the scan was done on a pt who did not need it."),
    ("patient_identification", "Wristband printed with the date of birth of another patient of the same name."),
    ("patient_identification", "Handover sheet listed {pt} in the wrong bed, so the obs were done on the wrong pt for one round."),
    ("patient_identification", "Consent form for one pt filed in the notes of another with the same surname on the same list."),
    ("patient_identification", "Another patient's appointment letter was sent to {pt}, whose name is similar."),
    ("patient_identification", "Bedside transfusion check found the unit was labelled for a different patient; not transfused."),
    ("patient_identification", "Pt was called by first name only in the waiting area and a different pt with the same first name came forward for the procedure."),
    ("patient_identification", "Unknown pt brought in unconscious was given a temporary number; once identified the two records were never linked."),
    ("patient_identification", "Wrong patient's addressograph labels were in {pt}'s notes and were used on the referral form."),
    ("patient_identification", "Two babies on the unit had their name cards swapped between cots; picked up at the feed check."),
    ("patient_identification+test_results", "Blood sample labelled with the details of the pt in the next bed. Lab flagged the mismatch with the request and rejected it."),
    ("patient_identification+test_results", "{Pt}'s {test} results were filed in another patient's record and were not seen for two days."),
    ("patient_identification+test_results", "Label printer produced the previous patient's labels and {pt}'s blood cultures were sent under the wrong name."),
    ("patient_identification+test_results", "An ECG showing AF was found in the wrong patient's notes, so {pt} was not anticoagulated."),
    ("patient_identification+test_results", "Phone call from the lab about a critical potassium was taken for the wrong patient, and the wrong pt was given calcium resonium."),
    ("patient_identification+test_results", "Swabs from two patients swapped in the specimen bag; MRSA result reported against the wrong pt."),
    ("patient_identification+documentation_quality", "Ward round entry about {pt} was written in the notes of the patient in the next bed."),
    ("patient_identification+documentation_quality", "Feeds for twin 1 were charted against twin 2 for the whole night shift."),
    ("patient_identification+documentation_quality", "Wound photographs were uploaded to the wrong patient's record."),
    ("patient_identification+documentation_quality", "Obs for bed 6 were recorded on the {obs} of the pt in bed 8."),
)

MEDICATION_INFORMATION = (
    ("medication_information", "The drug chart was missing when {pt} arrived on {ward}; evening medicines were delayed until a new chart was written."),
    ("medication_information", "Drug chart went with {pt} to X-ray and did not come back; two doses of {abx} delayed."),
    ("medication_information", "No drug chart came with {pt} from ITU, so the 2200 doses were not given."),
    ("medication_information", "TTO list did not match the inpatient chart: {drug} dose on the TTO was double the dose given on the ward. Picked up by pharmacy."),
    ("medication_information", "Prescribed from an old repeat slip brought in by the {family} rather than the current list; the GP had halved the {drug} dose in March."),
    ("medication_information", "Steroids started by the respiratory team were not on the GP list used for med rec, so they were not prescribed on admission."),
    ("medication_information", "Medication history could not be completed on admission because {pt} was confused and the {family} did not know what was taken; {drug} omitted for three days."),
    ("medication_information", "Dose of {pt}'s own insulin unknown; nobody could say how many units were used at home."),
    ("medication_information", "{Pt} had a fentanyl patch on that nobody knew about on admission and was also given oral morphine."),
    ("medication_information", "Unclear whether {pt} was still taking apixaban, so the pre-op plan was unsafe and surgery was postponed."),
    ("medication_information", "Pharmacy could not confirm whether methotrexate was weekly or daily; clarified with the GP before any dose was given."),
    ("medication_information", "Times of {pt}'s Parkinson's medicines not known to the ward, so they were given with the standard drug round and pt became rigid."),
    ("medication_information", "Pt brought in a blister pack with no list; pharmacy could not identify two of the tablets."),
    ("medication_information", "Prescribed from the discharge list of the previous admission rather than a current list; {drug} had since been stopped."),
    ("medication_information", "Med rec missed that {pt} takes a depot antipsychotic, and the due injection was not given."),
    ("medication_information", "Home oxygen flow rate unknown on admission; {pt} was given 4 L instead of the usual 1 L and became drowsy."),
    ("medication_information+documentation_quality", "Allergy to penicillin not recorded on the {chart}; {pt} was given a dose of co-amoxiclav before the {family} mentioned it."),
    ("medication_information+documentation_quality", "The {chart} said no known allergies while the GP record lists a codeine allergy."),
    ("medication_information+documentation_quality", "Insulin chart not rewritten after the diabetes team reduced the dose; the night nurse gave the old dose and {pt} had a hypo."),
    ("medication_information+documentation_quality", "The care home MAR listed a medicine stopped two weeks earlier and it was given on the ward."),
    ("medication_information+documentation_quality", "Warfarin dose on the anticoagulant chart did not match the INR clinic's latest instruction."),
    ("medication_information+documentation_quality", "Medication list from pre-op assessment left out clopidogrel, so it was not stopped before surgery."),
    ("medication_information+documentation_quality", "Allergy recorded as penicillin on the wristband but NKDA on the {chart}."),
    ("medication_information+documentation_quality", "The {chart} still showed the old gentamicin dose after the level came back and the dose was changed."),
    ("communication_handover+medication_information", "The discharge letter sent to the GP listed the old dose of warfarin."),
    ("communication_handover+medication_information", "Increase in {drug} dose not passed on to the district nurses, who carried on with the old dose for a week."),
    ("communication_handover+medication_information", "The TTO was amended after it went to pharmacy, and pharmacy dispensed the original version with the old dose."),
    ("communication_handover+medication_information", "Ward not told that {pt} had been given IV lorazepam in ED, and a further dose was given on arrival."),
    ("communication_handover+medication_information", "Plan to restart apixaban 48 hours post-op was not passed to the nurses, so no dose was given for two days."),
    ("communication_handover+medication_information", "Stopped {drug} not mentioned in the discharge summary; GP re-issued the repeat prescription."),
)

TEST_RESULTS = (
    ("test_results", "Potassium of 6.4 on the morning bloods was not actioned until the evening; no one had looked at the results."),
    ("test_results", "CT report showing a lung nodule was not reviewed by the requesting team and {pt} was discharged without follow up."),
    ("test_results", "Blood cultures grew gram negative rods but the result was phoned to a ward {pt} had already left."),
    ("test_results", "Result sent to the inbox of a consultant who had retired and sat unreviewed for six weeks."),
    ("test_results", "Sample lost between the ward and the lab; {test} had to be repeated and the result was a day late."),
    ("test_results", "Repeat troponin not done because nobody saw the first result, which was raised."),
    ("test_results", "Abnormal LFTs on the pre-op bloods were not acted on before the operation."),
    ("test_results", "MRSA screen came back positive but was not seen, and {pt} was not isolated for four days."),
    ("test_results", "Urgent MRI report delayed nine days because it had been typed but not verified."),
    ("test_results", "Radiology reported a scaphoid fracture after {pt} had been discharged from ED; recall did not happen for five days."),
    ("test_results", "HbA1c of 97 was filed as seen without any action."),
    ("test_results", "Microbiology sensitivities showed resistance to the current antibiotic, but nobody changed the prescription for 48 hours."),
    ("test_results", "Blood gas printed at the bedside with a lactate of 5 and was not shown to the doctor."),
    ("test_results", "Chest X-ray not reviewed for two days; it showed a pneumothorax."),
    ("test_results", "Bloods taken at 0600 were never sent; found in the specimen bag at 1400."),
    ("test_results", "Lithium level not chased after it was taken; it was in the toxic range."),
    ("test_results", "Ultrasound report advised a repeat scan in 3 months, which was never booked because the report went unseen."),
    ("test_results", "Bilirubin result on the baby not actioned before discharge; readmitted for phototherapy."),
    ("test_results", "Gentamicin level reported high at 1700, but the next dose was given at 2200 without anyone checking the level."),
    ("test_results", "Low B12 result actioned three months after it was reported."),
    ("test_results", "Sodium of 118 on the admission bloods: the result was opened but the abnormal flag was missed."),
    ("test_results", "Urine culture result went to the GP practice {pt} had left last year."),
    ("test_results", "Histology was not available at the cancer MDT as the report had been sent to the wrong consultant."),
    ("test_results", "Blood cultures sent on {day} were lost in the pneumatic tube system and never reached the lab."),
    ("test_results+communication_handover", "Pending histology not followed up after discharge, and the GP was not told that a result was outstanding."),
    ("test_results+communication_handover", "INR of 6.2 from the anticoagulation clinic was not passed to the district nurses who give the warfarin."),
    ("test_results+communication_handover", "Critical potassium phoned through to the ward at {time}, but the message was not passed to the doctor."),
    ("test_results+communication_handover", "The discharge summary did not mention the outstanding CT report, so nobody followed it up."),
    ("test_results+communication_handover", "Lab phoned a positive blood culture to the ward; the {nurse} who took the call went home without telling anyone."),
)

COMMUNICATION_HANDOVER = (
    ("communication_handover", "Handover did not mention that {pt} was nil by mouth for theatre; breakfast given and surgery delayed."),
    ("communication_handover", "Discharge summary never sent to the GP, who did not know {pt} had been admitted with a GI bleed."),
    ("communication_handover", "The DNACPR decision was not passed on to the night team, and a crash call was put out before the form was found."),
    ("communication_handover", "Safeguarding concern raised in ED was not shared with the ward."),
    ("communication_handover", "Referral to the community falls team was not sent on discharge."),
    ("communication_handover", "Verbal instruction from the registrar to stop the IV fluids was misunderstood by the nurse; fluids ran all night."),
    ("communication_handover", "PEG feeding plan not communicated to the community team before {pt} went home."),
    ("communication_handover", "{Family} not told that {pt} had been moved to another hospital and arrived to find an empty bed."),
    ("communication_handover", "{Pt} moved to the discharge lounge with no handover to the lounge staff."),
    ("communication_handover", "High falls risk not handed over when {pt} moved wards; no sensor mat was put in place."),
    ("communication_handover", "Concern about a rising NEWS2 was not passed on at shift change, and the next review was four hours later."),
    ("communication_handover", "Ambulance crew were not told that {pt} had C. difficile."),
    ("communication_handover", "OT recommendations from the home visit were not passed on to social services before discharge."),
    ("communication_handover", "1:1 observation level not handed over to the bank {hca} starting the shift."),
    ("communication_handover", "Referral to the diabetic foot team was sent to an old fax number and never arrived."),
    ("communication_handover", "Escort taking {pt} for a scan was not told that {pt} was at high risk of aspiration."),
    ("communication_handover", "Change of plan from the {round} not passed to the nurse looking after {pt}."),
    ("communication_handover", "Care home called to report that {pt} had fallen, but the message did not reach the GP."),
    ("communication_handover", "District nurses not told that {pt} had gone home with a new catheter."),
    ("communication_handover", "{Pt}'s need for an interpreter was not handed over and consent was taken through the {family}."),
    ("communication_handover", "GP referral was received but its urgency was not conveyed to the booking team, and the appointment was routine."),
    ("communication_handover", "Mental health crisis plan not shared with the acute team when {pt} attended."),
    ("communication_handover", "Tissue viability advice given by phone was not passed to the night staff."),
    ("communication_handover", "DoLS authorisation not mentioned when {pt} was transferred to {ward}."),
    ("communication_handover", "Midwife handed over an estimated blood loss of 300 ml when the theatre record said 1,300 ml."),
    ("patient_identification+communication_handover", "Ward told by phone that {pt} could go home, but the message meant the other pt in bay 2."),
    ("communication_handover", "Social worker not told of the discharge date and the package of care was not restarted."),
    ("communication_handover", "Palliative care team referral discussed on the ward round but never made."),
)

DOCUMENTATION_QUALITY = (
    ("documentation_quality", "No obs recorded between 2200 and 0600 although {pt} was on hourly obs."),
    ("documentation_quality", "Fluid balance chart incomplete for 36 hours, so it was not possible to tell whether {pt} was dry."),
    ("documentation_quality", "Notes entry unsigned and undated; unclear who had reviewed {pt} or when."),
    ("documentation_quality", "Resuscitation status contradictory: DNACPR form in {records} but the ward board said for full escalation."),
    ("documentation_quality", "Care plan not updated after {pt}'s mobility got worse; it still said independent with a frame."),
    ("documentation_quality", "Falls risk assessment copied forward from the last admission and described {pt} as independent."),
    ("documentation_quality", "Weight recorded as 80 kg when {pt} weighs 50 kg."),
    ("documentation_quality", "Repositioning chart filled in for 2-hourly turns overnight, but {pt} was found in the same position with the same pillows in the morning."),
    ("documentation_quality", "Clerking illegible; the night {doc} could not read the plan."),
    ("documentation_quality", "Wound not measured or described at admission, so it is unclear whether the pressure ulcer was acquired in hospital."),
    ("documentation_quality", "NEWS2 scores added up wrongly on the {obs} for two days."),
    ("documentation_quality", "Time of the fall not recorded and post-fall obs not documented."),
    ("documentation_quality", "No capacity assessment documented before the decision about a care home placement."),
    ("documentation_quality", "Height missing from {records}, so the MUST score could not be calculated."),
    ("documentation_quality", "Consent form incomplete: the side of the operation was not written."),
    ("documentation_quality", "Entries in {records} contradicted each other on whether {pt} had a catheter."),
    ("documentation_quality", "Food chart recorded meals as eaten that {pt} had never received."),
    ("documentation_quality", "Bed rails assessment not updated after {pt} became agitated and tried to climb out."),
    ("documentation_quality", "Discharge address in {records} was out of date and transport took {pt} to the old house."),
    ("documentation_quality", "Blood glucose readings were written on a scrap of paper and never transferred to the chart."),
    ("documentation_quality", "Escalation plan said ward-based care in one place and for ITU in another."),
    ("documentation_quality", "'Chest clear' copied forward in the daily review for five days while {pt} had pneumonia."),
    ("documentation_quality", "NOK phone number recorded wrongly, so the {family} could not be contacted when {pt} deteriorated."),
    ("documentation_quality", "Ward round entry documented the wrong side for the hip fracture."),
    ("documentation_quality", "Catheter insertion date not recorded, so nobody knew when it was due to be changed."),
    ("documentation_quality", "Skin bundle signed as completed for a shift when {pt} had not been checked."),
    ("documentation_quality", "Stool chart blank for four days, so the constipation was missed."),
    ("documentation_quality", "Nursing assessment stated {pt} was mobile independently; pt needs two staff."),
)

# it_system: sentences for any time, for the old systems before go-live, for the months around
# go-live, and for the EPR once it has settled in.
IT_SYSTEM_ANY = (
    ("it_system", "Smartcard would not authenticate at the start of the shift and the {nurse} could not log on for 40 minutes."),
    ("it_system", "The computer on wheels would not connect to the wifi in bay 3 for the whole {round}."),
    ("it_system", "Wristband printer not working, so wristbands were handwritten for the morning admissions."),
    ("it_system", "PACS very slow in resus; images took ten minutes to open."),
    ("it_system", "Referrals to the community team could not be sent for a whole afternoon because of a system outage."),
    ("it_system", "Electronic prescriptions could not be downloaded at the community pharmacy for most of the day."),
    ("it_system", "Network outage 1400 to 1600; ward could not see the bed state and transfers were held."),
    ("it_system", "Bleep system failed between {time} and 0600; staff had to be contacted by switchboard."),
    ("it_system", "Agency nurse had no login, so could not view the results or record obs all shift."),
    ("it_system", "Order comms would not allow a request for a pt with no registered GP."),
    ("it_system", "Handheld obs device failed to upload the readings to the electronic record."),
    ("it_system", "System clock wrong after the clocks changed, so the due times of doses were an hour out."),
    ("it_system", "Blood tracking kiosk at the blood fridge was down and units could not be collected for 30 minutes."),
    ("it_system", "Remote access failed for the community nurses and the day's visit lists could not be downloaded."),
    ("it_system", "Duplicate orders generated by a system fault; {pt} had bloods taken twice."),
    ("it_system", "Confusing drop-down: the {doc} picked the wrong strength of {drug} from a list of similar entries."),
    ("it_system", "Password expired mid-shift and the reset line did not answer for an hour."),
    ("it_system+test_results", "Interface between the lab system and the record failed for six hours; a potassium of 6.1 was not seen until the next morning."),
    ("it_system+medication_information", "Allergy alert did not fire when co-amoxiclav was prescribed for a pt with a penicillin allergy."),
    ("it_system+communication_handover", "Discharge summary stuck in the system outbox and never reached the GP."),
    ("it_system+records_unavailable", "GP record viewer showed an error for all patients, so the admitting team could not see the GP record."),
    ("it_system+records_unavailable+medication_information", "System was down, so the allergy status could not be checked before the first dose of {abx}."),
)
IT_SYSTEM_PRE = (
    ("it_system", "PAS crashed during the morning clinic and appointments were booked on paper."),
    ("it_system", "ICE results viewer kept timing out on the ward PC; each result took several minutes to open."),
    ("it_system", "Old PAS would not accept the new GP practice code, so the admission could not be completed."),
    ("it_system", "Bed management system had not updated and showed a side room as free when it was not."),
    ("it_system", "PAS downtime for an upgrade overran by three hours; admissions recorded on paper and back-entered."),
    ("it_system", "The theatre system and PAS disagreed on the list order after an interface fault."),
    ("it_system", "Pathology system down 0800 to 1030; results had to be phoned through to the wards."),
)
IT_SYSTEM_CUTOVER = (
    ("it_system", "PAS frozen for the EPR data migration; admissions and transfers recorded on paper for two days."),
    ("it_system", "Test patients from the EPR build appeared on the live ward list after an interface change."),
    ("it_system", "Interface testing for the new EPR stopped lab results flowing to the old viewer for three hours."),
    ("it_system", "New smartcards issued for the EPR also locked staff out of the existing systems for the morning."),
)
IT_SYSTEM_GOLIVE = (
    ("it_system", "First week after EPR go-live: staff could not find where to record the fluid balance, so paper and electronic charts ran side by side."),
    ("it_system", "EPR go-live weekend: the drug round took four hours because the new e-prescribing screens were unfamiliar."),
    ("it_system", "Data migration from the old PAS to the new EPR did not bring across the alerts."),
    ("it_system", "Smartcard access for bank staff not set up after go-live; they could not open the new EPR."),
    ("it_system", "Order set in the new EPR defaulted to the IV route for paracetamol."),
    ("it_system", "EPR cutover downtime ran from 2200 to 0600 and the paper downtime packs ran out."),
    ("it_system", "Barcode scanners had not been paired with the new EPR; medicines given without scanning."),
    ("it_system", "Task list in the new EPR did not show outstanding tasks from the previous shift."),
    ("it_system", "Wristband printers were mapped to the wrong ward after go-live and wristbands printed two floors away."),
    ("it_system", "New EPR logged users out after 5 minutes, mid drug round, and unsaved entries were lost."),
    ("it_system", "During go-live the EPR showed two different bed numbers for the same patient, causing confusion about which bed to go to."),
    ("it_system+medication_information", "Medication lists migrated from the old system came across with doses in the wrong units."),
    ("it_system+test_results", "Results requested before go-live did not appear in the new EPR, and two abnormal results were not seen for a week."),
)
IT_SYSTEM_POST = (
    ("it_system", "EPR slow again in the afternoon; clinic overran by an hour."),
    ("it_system", "Unplanned EPR downtime 0300 to 0500; downtime procedure followed."),
    ("it_system", "E-prescribing screen did not show held doses clearly and a held dose was given."),
    ("it_system", "EPR record locked open on another PC, so the {doc} could not write in the notes."),
    ("it_system", "Obs app on the handheld device crashed repeatedly during the night."),
    ("it_system", "ED arrivals not appearing on the EPR tracking board after an integration engine failure."),
    ("it_system", "EPR update overnight changed the layout of the discharge screen and the TTO could not be completed."),
)
# fmt: on

INFORMATION_BANKS = {
    "records_unavailable": RECORDS_UNAVAILABLE,
    "patient_identification": PATIENT_IDENTIFICATION,
    "medication_information": MEDICATION_INFORMATION,
    "test_results": TEST_RESULTS,
    "communication_handover": COMMUNICATION_HANDOVER,
    "documentation_quality": DOCUMENTATION_QUALITY,
}
FAMILIES = ("none", *INFORMATION_BANKS, "it_system")

_SLOT = re.compile(r"\{(\w+)\}")
_ONE_PATIENT = re.compile(r"\{pt\}|\bpt\b|\bpatient\b", re.IGNORECASE)
_NO_HARM_TOLD = re.compile(r"\bno (?:head )?(?:injury|harm|bleed)\b", re.IGNORECASE)
_HARM_TOLD = re.compile(
    r"fractur|bleed|haematuria|burnt|tear\b|hypo\b|bruise|scratch|punch|injur|pneumothorax"
    r"|toxic|readmitted|desaturated|drowsy|rigid|pushed|bitten|hit their head|seizure|hurt"
    r"|extravasation|phlebitis|pressure ulcer|pressure damage|skin damage|DVT|choked|harm",
    re.IGNORECASE,
)


# ------------------------------------------------------------------------------------------
# Generation
# ------------------------------------------------------------------------------------------


def month_starts() -> list[date]:
    """The first day of each of the 72 months."""
    year, month = FIRST_MONTH
    out = []
    for _ in range(N_MONTHS):
        out.append(date(year, month, 1))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def months_between(start: date, later: date) -> int:
    return (later.year - start.year) * 12 + later.month - start.month


def make_bed_days(rng: np.random.Generator) -> pd.DataFrame:
    """Occupied bed days: beds x days x occupancy, occupancy peaking in winter."""
    rows = []
    for site, _rollout, beds in SITES:
        for start in month_starts():
            days = calendar.monthrange(start.year, start.month)[1]
            winter = np.cos(2 * np.pi * (start.month - 1) / 12)
            occupancy = 0.895 + 0.04 * winter + rng.normal(0, 0.008)
            rows.append((site, f"{start:%Y-%m}", int(round(beds * days * occupancy))))
    return pd.DataFrame(rows, columns=["site", "month", "occupied_bed_days"])


def expected_rate(family: str, start: date, rollout: date) -> float:
    """Expected incidents per 1,000 occupied bed days for one family, site and month."""
    t = months_between(date(*FIRST_MONTH, 1), start)
    rate = BASE_RATES[family]
    rate *= (1 + GROWTH_PER_YEAR) ** (t / 12)
    rate *= np.exp(SEASONAL_AMPLITUDE * np.cos(2 * np.pi * (start.month - 1) / 12))
    since = months_between(rollout, start)
    if family == "it_system":
        if since in IT_SPIKE:
            rate *= IT_SPIKE[since]
        elif since > 0:
            rate *= IT_SETTLED
    elif family != "none" and since >= 0:
        rate *= (1 - LEVEL_DROP) * np.exp(SLOPE_PER_MONTH * since)
    return rate


def core_bank(family: str, since: int) -> tuple[tuple[str, str], ...]:
    """The core sentences for a family, `since` months after the site's go-live month."""
    if family == "none":
        return NOT_INFORMATION_LINKED
    if family != "it_system":
        return INFORMATION_BANKS[family]
    if since < -1:
        return IT_SYSTEM_ANY + IT_SYSTEM_PRE
    if since == -1:
        return IT_SYSTEM_CUTOVER * 2 + IT_SYSTEM_PRE + IT_SYSTEM_ANY
    if since in IT_SPIKE:
        return IT_SYSTEM_GOLIVE * 2 + IT_SYSTEM_ANY
    return IT_SYSTEM_ANY + IT_SYSTEM_POST


def setting_of(core: str) -> str:
    """The kind of ward a core sentence describes ("inpatient" when it names none)."""
    if "{ward}" in core:
        return "inpatient"
    for kind, pattern in SETTING_KEYWORDS:
        if re.search(pattern, core, flags=re.IGNORECASE):
            return kind
    return "inpatient"


def fill(template: str, rnd: random.Random, era: str, ward: str) -> str:
    """Fill every ``{slot}`` in `template`, picking each occurrence at random."""

    def pick(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "ward":
            return ward
        if name == "time":
            return f"{rnd.randrange(24):02d}{rnd.randrange(0, 60, 5):02d}"
        choices = SLOTS[name]
        if isinstance(choices, dict):
            choices = choices["pre" if era == "pre" else "post"]
        return rnd.choice(choices)

    text = _SLOT.sub(pick, template)
    return text[0].upper() + text[1:]


def describe(rnd: random.Random, core: str, era: str, ward: str, kind: str) -> str:
    """Build one description around a core sentence: 10 to 120 words."""
    about_patient = _ONE_PATIENT.search(core) is not None
    no_harm_told = _NO_HARM_TOLD.search(core) is not None
    harm_told = _HARM_TOLD.search(core) is not None and not no_harm_told
    openings, actions, outcomes = OPENINGS, ACTIONS, OUTCOMES
    contexts = CONTEXTS if kind in ("inpatient", "emergency", "critical") else ()
    if about_patient:
        openings += PATIENT_OPENINGS
        contexts += PATIENT_CONTEXTS
        actions += PATIENT_ACTIONS
        outcomes += PATIENT_OUTCOMES
        if kind in ("inpatient", "emergency", "critical"):
            openings += INPATIENT_OPENINGS
    if kind == "inpatient" and "{ward}" not in core:
        openings += WARD_OPENINGS
    if no_harm_told:
        grades = ()
    elif harm_told:
        grades = HARMED_OUTCOMES if about_patient else ()
    else:
        grades = HARM_GRADES + (PATIENT_HARM_GRADES if about_patient else ())
    parts = []
    if rnd.random() < 0.55:
        parts.append(rnd.choice(openings))
    parts.append(core)
    if contexts and rnd.random() < 0.45:
        parts.append(rnd.choice(contexts))
        if rnd.random() < 0.25:
            parts.append(rnd.choice(contexts))
    if rnd.random() < 0.50:
        parts.append(rnd.choice(actions))
    if grades and rnd.random() < 0.45:
        parts.append(rnd.choice(grades))
    if rnd.random() < 0.65:
        parts.append(rnd.choice(outcomes))
        if rnd.random() < 0.20:
            parts.append(rnd.choice(outcomes))
    text = " ".join(fill(part, rnd, era, ward) for part in dict.fromkeys(parts))
    while len(text.split()) < 10:
        text = f"{text} {fill(rnd.choice(outcomes), rnd, era, ward)}"
    words = text.split()
    if len(words) > 120:
        text = " ".join(words[:120])
    return text


def join_labels(labels: str) -> str:
    chosen = set(filter(None, labels.split("+")))
    unknown = chosen.difference(LABELS)
    if unknown:
        raise ValueError(f"unknown labels in the sentence bank: {sorted(unknown)}")
    return ";".join(label for label in LABELS if label in chosen)


def make_incidents(rng: np.random.Generator, rnd: random.Random, bed_days: pd.DataFrame):
    beds = bed_days.set_index(["site", "month"])["occupied_bed_days"]
    rows = []
    for site, rollout, _beds in SITES:
        wards = WARDS[site]
        for start in month_starts():
            days_in_month = calendar.monthrange(start.year, start.month)[1]
            denominator = beds[(site, f"{start:%Y-%m}")]
            since = months_between(rollout, start)
            era = "pre" if since < 0 else "post"  # paper or EPR wording in the slots
            for family in FAMILIES:
                mean = expected_rate(family, start, rollout) * denominator / 1000
                count = rng.poisson(rng.gamma(GAMMA_SHAPE, mean / GAMMA_SHAPE))
                bank = core_bank(family, since)
                for _ in range(count):
                    labels, core = bank[rnd.randrange(len(bank))]
                    kind = setting_of(core)
                    ward = rnd.choice(wards[kind])
                    day = date(start.year, start.month, rnd.randint(1, days_in_month))
                    text = describe(rnd, core, era, ward, kind)
                    rows.append((site, ward, day, text, join_labels(labels), family))
    frame = pd.DataFrame(
        rows, columns=["site", "ward", "day", "description", "true_labels", "family"]
    )
    frame = frame.sort_values(["day", "site"], kind="stable").reset_index(drop=True)
    frame.insert(0, "incident_id", [f"DX{100001 + i}" for i in range(len(frame))])
    frame.insert(3, "incident_date", frame["day"].map(lambda d: f"{d:%d/%m/%Y}"))
    return frame


def write_csv(frame: pd.DataFrame, name: str) -> None:
    frame.to_csv(OUT_DIR / name, index=False, lineterminator="\n", encoding="utf-8")


def print_summary(incidents: pd.DataFrame, bed_days: pd.DataFrame) -> None:
    """Monthly totals per site and label group, with information-linked rates."""
    group = np.where(
        incidents["family"] == "none",
        "other",
        np.where(incidents["family"] == "it_system", "it_sys", "info"),
    )
    counts = (
        incidents.assign(group=group, month=incidents["day"].map(lambda d: f"{d:%Y-%m}"))
        .groupby(["site", "month", "group"])
        .size()
        .unstack("group", fill_value=0)
        .reindex(columns=["other", "info", "it_sys"], fill_value=0)
    )
    beds = bed_days.set_index(["site", "month"])["occupied_bed_days"]
    counts = counts.reindex(beds.index, fill_value=0)
    counts["info/1000bd"] = (counts["info"] / beds * 1000).round(2)
    counts["other/1000bd"] = (counts["other"] / beds * 1000).round(2)
    print("Monthly counts per site: other = not information-linked, info = information-linked")
    print("families except it_system, it_sys = it_system family. Rates per 1,000 bed days.")
    rollouts = {site: rollout for site, rollout, _ in SITES}
    sites = [site for site, _, _ in SITES]
    header = f"{'month':8}" + "".join(
        f" | {site.split()[0][:9]:>9} other info it_sys info/1k oth/1k" for site in sites
    )
    print(header)
    for month in sorted(bed_days["month"].unique()):
        line = f"{month:8}"
        for site in sites:
            row = counts.loc[(site, month)]
            mark = "*" if month == f"{rollouts[site]:%Y-%m}" else " "
            line += (
                f" | {mark:>9} {int(row['other']):5d} {int(row['info']):4d} {int(row['it_sys']):6d}"
                f" {row['info/1000bd']:7.2f} {row['other/1000bd']:6.2f}"
            )
        print(line)
    print("(* marks the go-live month)")
    print()
    for site in sites:
        site_rows = incidents[incidents["site"] == site]
        site_counts = counts.loc[site]
        rollout_month = f"{rollouts[site]:%Y-%m}"
        pre = site_counts[site_counts.index < rollout_month]
        post = site_counts[site_counts.index >= rollout_month]
        print(
            f"{site}: {len(site_rows)} incidents, go-live {rollouts[site]:%d/%m/%Y}; "
            f"mean info rate {pre['info/1000bd'].mean():.3f} before vs "
            f"{post['info/1000bd'].mean():.3f} after, other rate "
            f"{pre['other/1000bd'].mean():.3f} vs {post['other/1000bd'].mean():.3f}"
        )
    n_unique = incidents["description"].nunique()
    words = incidents["description"].str.split().str.len()
    print(
        f"{len(incidents)} rows; {n_unique} distinct descriptions; words per description "
        f"{words.min()}-{words.max()} (median {int(words.median())}); "
        f"{(incidents['true_labels'] == '').mean():.0%} with no label"
    )


def main() -> None:
    rng = np.random.default_rng(SEED)
    rnd = random.Random(SEED)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    bed_days = make_bed_days(rng)
    incidents = make_incidents(rng, rnd, bed_days)
    columns = ["incident_id", "site", "ward", "incident_date", "description", "true_labels"]
    write_csv(incidents[columns], "demo_incidents.csv")
    rollouts = pd.DataFrame(
        [(site, f"{rollout:%d/%m/%Y}") for site, rollout, _ in SITES],
        columns=["site", "rollout_date"],
    )
    write_csv(rollouts, "demo_rollouts.csv")
    write_csv(bed_days, "demo_bed_days.csv")
    print_summary(incidents, bed_days)


if __name__ == "__main__":
    main()
