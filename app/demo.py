"""Demo data: a small, realistic and *illustrative* picture of the Estonian qualification system.

Standards (Kutseregister row ids, names, EKR levels), schools (EHIS ids, registry codes) and
curriculum codes 130219, 130220, 222502 and 222202 are real public facts from Kutseregister and EHIS.
Everything else is generated: awarding bodies' registry codes, their rights and committees,
persons and their personal codes, exams, results, decisions and certificates. All identifiers
pass the same checks as real ones (python-stdnum), so the flush guard accepts every row.

``seed(appbuilder)`` is deterministic (``random.Random``), runs only on a database without exam
sessions, and returns one (role, username, password) login per role. Passwords are generated
on the first seed and kept in ``instance/demo-logins.txt`` (git-ignored) for later runs.

On an empty database it builds everything itself. When master data are there already (the demo
command loads them through the import jobs from the register simulators first), it builds the
exam workflow on top of them instead: the imported standards, schools, awarding bodies with
their rights and kutsekomisjonid, and curricula with their links; its own students are routed
like imported ones (app.services.routing), and certificates of closed sessions are left "ready"
for the register export job to enter.
"""
from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, select
from stdnum.ee import ik
from stdnum.ee import registrikood as rk
from werkzeug.security import check_password_hash

from app import models as m
from app.audit import acting_as
from app.formatting import TALLINN
from app.security import roles as r
from app.services.users import create_user

ACTOR = "demo-seed"
DEMO_EMAIL_DOMAIN = "demo.example.org"  # marks the demo users (only they are ever reset)
TODAY = dt.date(2026, 11, 25)  # the demo's "now": sessions before it are held, after it open

# -- standards --------------------------------------------------------------------------------
# (row id, name, EKR, field, English name, competences; a name ending in "*" is optional)
STANDARDS = [
    (10465773, "Kokk, tase 4", 4, "Teenindus", "Cook, level 4",
     ["Töö planeerimine ja korraldamine", "Toitude valmistamine", "Menüü koostamine",
      "Toiduhügieen ja toiduohutus", "Klienditeenindus toitlustuses*"]),
    (10431606, "Abikokk, tase 3", 3, "Teenindus", "Assistant cook, level 3",
     ["Toorainete eeltöötlemine", "Lihtsamate toitude valmistamine", "Köögi puhastustööd"]),
    (10431661, "Meisterkokk, tase 5", 5, "Teenindus", "Master cook, level 5",
     ["Köögi töö juhtimine", "Menüü arendamine", "Kuluarvestus ja hankimine"]),
    (10586768, "Kelner, tase 4", 4, "Teenindus", "Waiter, level 4",
     ["Külaliste teenindamine", "Jookide valmistamine ja serveerimine", "Saali ettevalmistamine"]),
    (10468068, "Kondiiter, tase 4", 4, "Toiduainetööstus ja põllumajandus", "Confectioner, level 4",
     ["Tainaste ja kreemide valmistamine", "Kondiitritoodete kaunistamine", "Tootmise planeerimine"]),
    (10467994, "Pagar, tase 4", 4, "Toiduainetööstus ja põllumajandus", "Baker, level 4",
     ["Leiva ja saia valmistamine", "Tainaste kergitamine ja küpsetamine", "Toiduohutuse tagamine"]),
    (10432667, "Puhastusteenindaja, tase 3", 3, "Teenindus", "Cleaning service worker, level 3",
     ["Hoolduskoristus", "Puhastusvahendite ja -masinate kasutamine", "Tööohutus"]),
    (10491975, "Müüja-klienditeenindaja, tase 4", 4, "Äriteenindus ja muu äritegevus",
     "Sales assistant, level 4", ["Klienditeenindus ja müük", "Kauba käsitlemine", "Kassatöö"]),
    (10884560, "Juuksur, tase 4", 4, "Teenindus", "Hairdresser, level 4",
     ["Juuste lõikamine", "Juuste värvimine", "Soengu kujundamine", "Kliendi nõustamine"]),
    (11240731, "Võrguelektrik, tase 4", 4, "Energeetika, mäe- ja keemiatööstus", "Network electrician, level 4",
     ["Elektrivõrgu ehitamine", "Elektrivõrgu käit ja hooldus", "Elektrotööde ohutus"]),
    (10456003, "Sisetööde elektrik, tase 4", 4, "Energeetika, mäe- ja keemiatööstus",
     "Installation electrician, level 4",
     ["Elektripaigaldise ehitamine", "Paigaldise kontrollimine ja mõõtmine", "Elektrotööde ohutus"]),
    (10454282, "Elektroonikaseadmete koostaja, tase 2", 2, "Tehnika, tootmine ja töötlemine",
     "Electronics assembler, level 2", ["Komponentide paigaldamine", "Jootmine"]),
    (10545663, "Mehhatroonik, tase 4", 4, "Tehnika, tootmine ja töötlemine", "Mechatronics technician, level 4",
     ["Mehhatroonikasüsteemide koostamine", "Kontrollerite programmeerimine", "Hooldus ja rikete otsing"]),
    (10781518, "IT-süsteemide nooremspetsialist, tase 4", 4, "Infotehnoloogia ja telekommunikatsioon",
     "Junior IT systems specialist, level 4",
     ["Kasutajatugi", "Arvutitöökoha haldamine", "Võrgu- ja serveriteenuste haldamine", "Infoturbe tagamine"]),
    (10988847, "Külmamehaanik, tase 4", 4, "Energeetika, mäe- ja keemiatööstus", "Refrigeration mechanic, level 4",
     ["Külmaseadmete paigaldamine", "Külmaseadmete hooldus ja remont", "Külmaagensite käitlemine"]),
    (10535300, "Plaatija, tase 4", 4, "Arhitektuur, geomaatika, ehitus ja kinnisvara", "Tiler, level 4",
     ["Aluspinna ettevalmistamine", "Plaatimine", "Vuukimine ja hüdroisolatsioon"]),
    (10535222, "Maaler, tase 4", 4, "Arhitektuur, geomaatika, ehitus ja kinnisvara", "Painter, level 4",
     ["Pinnaeeltöötlus", "Värvimine ja lakkimine", "Tapetseerimine"]),
    (10535053, "Ehituspuusepp, tase 4", 4, "Arhitektuur, geomaatika, ehitus ja kinnisvara",
     "Construction carpenter, level 4",
     ["Puitkonstruktsioonide valmistamine", "Raketiste ehitamine", "Akende ja uste paigaldamine"]),
    (10489967, "Pottsepp, tase 4", 4, "Arhitektuur, geomaatika, ehitus ja kinnisvara", "Stove builder, level 4",
     ["Kütteseadme ladumine", "Küttesüsteemi paigaldamine", "Kütteseadme remont"]),
    (10449687, "Tisler, tase 4", 4, "Tehnika, tootmine ja töötlemine", "Joiner, level 4",
     ["Mööblidetailide valmistamine", "Pinnaviimistlus", "Puidutöötlemispinkidel töötamine"]),
    (10596888, "Mootorsõidukitehnik, tase 4", 4, "Transport ja logistika", "Motor vehicle technician, level 4",
     ["Mootori diagnostika ja remont", "Jõuülekande hooldus", "Veermiku ja pidurite hooldus",
      "Elektrisüsteemide diagnostika"]),
    (10632293, "Logistik, tase 5", 5, "Transport ja logistika", "Logistician, level 5",
     ["Tarneahela planeerimine", "Laotöö korraldamine", "Transpordi korraldamine"]),
    (10536894, "Keevitaja, tase 3", 3, "Tehnika, tootmine ja töötlemine", "Welder, level 3",
     ["Kaarkeevitus kattega elektroodiga", "MAG-keevitus", "Keevisõmbluse kontroll"]),
    (10536937, "Keevitaja, tase 4", 4, "Tehnika, tootmine ja töötlemine", "Welder, level 4",
     ["TIG-keevitus", "MIG/MAG-keevitus", "Keevitustööde planeerimine"]),
    (10559015, "Hooldustöötaja, tase 4", 4, "Sotsiaalhoolekanne", "Care worker, level 4",
     ["Abivajaja igapäevaelu toetamine", "Tervise jälgimine ja esmaabi", "Suhtlemine ja nõustamine"]),
    (10414964, "Lapsehoidja, tase 4", 4, "Sotsiaalhoolekanne", "Childminder, level 4",
     ["Lapse arengu toetamine", "Lapse turvalisuse tagamine", "Koostöö perega"]),
    (10491530, "Abiaednik, tase 2", 2, "Toiduainetööstus ja põllumajandus", "Assistant gardener, level 2",
     ["Taimede paljundamine ja kasvatamine", "Haljasalade hooldus"]),
    (10466929, "Metsur, tase 4", 4, "Metsandus", "Forest worker, level 4",
     ["Raie mootorsaega", "Metsakasvatustööd", "Metsatehnika hooldus"]),
    (10508424, "Raietööline, tase 2", 2, "Metsandus", "Logger, level 2", ["Raietööd", "Saeketi hooldus"]),
]
POTTSEPP_NEW = 11181320  # illustrative row id of the newer Pottsepp version (same group)
SPECIALISATIONS = {10988847: ["HC-külmaagensid", "HFO-külmaagensid", "R-717 (ammoniaak)", "R-744 (süsihappegaas)"]}
PARTIALS = {
    10884560: ["Barber, tase 4"],
    10781518: ["Kasutajatoe tehnik, tase 4", "IT-haldustehnik, tase 4", "IT-tehnik, tase 4"],
    10489967: ["Küttesüsteemi paigaldaja, tase 4"],
    POTTSEPP_NEW: ["Küttesüsteemi paigaldaja, tase 4"],
}

# -- schools (EHIS id, name, registrikood) ----------------------------------------------------
SCHOOLS = [
    (32, "Tallinna Teeninduskool", "70004637"), (1041, "Ida-Virumaa Kutsehariduskeskus", "70007742"),
    (91, "Tallinna Tööstushariduskeskus", "70005559"), (51, "Haapsalu Kutsehariduskeskus", "70003796"),
    (107, "Pärnumaa Kutsehariduskeskus", "70006369"), (1400, "Järvamaa Kutsehariduskeskus", "70008546"),
    (92, "Võrumaa Kutsehariduskeskus", "70005542"), (46, "Kuressaare Ametikool", "70003744"),
    (48, "Rakvere Ametikool", "70003840"), (31, "Tallinna Ehituskool", "70003951"),
    (26, "Tallinna Transpordikool", "70004072"), (826, "Tartu Kutsehariduskeskus", "75024308"),
    (1017, "Tallinna Kopli Ametikool", "75029429"), (20, "Räpina Aianduskool", "70002420"),
    (18, "Luua Metsanduskool", "70002443"), (13, "Olustvere Teenindus- ja Maamajanduskool", "70002555"),
    (81, "Kehtna Majandus- ja Tehnoloogiakool", "70000846"), (43, "Viljandi Kutseõppekeskus", "70005565"),
    (88, "Valgamaa Kutseõppekeskus", "70005571"), (22, "Hiiumaa Ametikool", "70002549"),
    (49, "Vana-Vigala Tehnika- ja Teeninduskool", "70004643"), (6, "Tallinna Majanduskool", "70003460"),
    (5631, "Eesti Merekool", "70009646"),
]
SCHOOL_TOWNS = {
    32: "Tallinn", 1041: "Jõhvi", 91: "Tallinn", 51: "Haapsalu", 107: "Pärnu", 1400: "Paide", 92: "Väimela",
    46: "Kuressaare", 48: "Rakvere", 31: "Tallinn", 26: "Tallinn", 826: "Tartu", 1017: "Tallinn", 20: "Räpina",
    18: "Luua", 13: "Olustvere", 81: "Kehtna", 43: "Viljandi", 88: "Valga", 22: "Käina", 49: "Vana-Vigala",
    6: "Tallinn", 5631: "Tallinn",
}

# -- awarding bodies: (name, first digit of the registry code, committee, row ids, exam address) --
BODIES = [
    ("Eesti Peakokkade Ühendus", "8", "Toitlustuse kutsekomisjon",
     [10465773, 10431606, 10431661], "Pärnu mnt 67a, 10134 Tallinn"),
    ("Eesti Hotellide ja Restoranide Liit", "8", "Majutuse ja toitlustuse kutsekomisjon",
     [10586768, 10468068, 10467994, 10432667, 10491975], "Narva mnt 7, 10117 Tallinn"),
    ("Eesti Elektritööde Ettevõtjate Liit", "8", "Elektriala kutsekomisjon",
     [11240731, 10456003, 10454282, 10545663, 10781518], "Kadaka tee 4, 10621 Tallinn"),
    ("Eesti Ehitusettevõtjate Liit", "8", "Ehituse kutsekomisjon",
     [10535300, 10535222, 10535053, 10489967, POTTSEPP_NEW, 10449687], "Sõjakooli 10, 11316 Tallinn"),
    ("Eesti Külmaliit", "8", "Külmatehnika kutsekomisjon", [10988847], "Riia 181a, 51014 Tartu"),
    ("Eesti Kosmeetikute Liit", "8", "Iluteeninduse kutsekomisjon", [10884560], "Tartu mnt 63, 10115 Tallinn"),
    ("Autokutseõppe Liit", "8", "Mootorsõidukitehnika kutsekomisjon", [10596888], "Mustamäe tee 50, 10621 Tallinn"),
    ("Eesti Plastliit", "8", "Keevituse kutsekomisjon", [10536894, 10536937], "Peterburi tee 46, 11415 Tallinn"),
    ("SA Raudteekutsed", "9", "Transpordi ja logistika kutsekomisjon", [10632293], "Toompuiestee 35, 10149 Tallinn"),
    ("Eesti Massööride Liit", "8", "Hoolekande kutsekomisjon", [10559015, 10414964], "Kalevi 2, 50104 Tartu"),
]
EMPLOYERS = {
    "Eesti Peakokkade Ühendus": ["Restoran Pädaste Köök OÜ", "Kulinaaria Maja OÜ"],
    "Eesti Hotellide ja Restoranide Liit": ["Hotell Vanalinn AS", "Pagarikoda OÜ"],
    "Eesti Elektritööde Ettevõtjate Liit": ["Elektritöö Partner OÜ", "Põhjavõrk AS"],
    "Eesti Ehitusettevõtjate Liit": ["Lõunaehitus OÜ", "Kivimaja Ehitus AS"],
    "Eesti Külmaliit": ["Külmatehnika OÜ", "Arktika Seadmed OÜ"],
    "Eesti Kosmeetikute Liit": ["Juuksurisalong Lokk OÜ", "Ilustuudio Säde OÜ"],
    "Autokutseõppe Liit": ["Autoremont Mootor OÜ", "Veokeskus AS"],
    "Eesti Plastliit": ["Metallitöö Keevis OÜ", "Laevaremont AS"],
    "SA Raudteekutsed": ["Rööbas Logistika AS", "Laoteenus OÜ"],
    "Eesti Massööride Liit": ["Hooldekodu Päikesekiir SA", "Lastehoid Mõmmik OÜ"],
}

# -- curricula per school: (EHIS code or None = generated, name, level code, standard row id,
#    specialisation / partial name or None, weight = share of students) -------------------------
CURRICULA = {
    32: [(None, "Kokk", 442, 10465773, None, 14), (None, "Kokk", 441, 10465773, None, 8),
         (None, "Abikokk", 431, 10431606, None, 4), (None, "Kondiiter", 442, 10468068, None, 8),
         (None, "Pagar", 442, 10467994, None, 4), (None, "Kelner", 442, 10586768, None, 5),
         (None, "Juuksur", 442, 10884560, None, 6), (None, "Meisterkokk", 453, 10431661, None, 3),
         (None, "Majutusteenindaja", 442, None, None, 3)],
    1041: [(130219, "Juuksur", 442, 10884560, None, 6), (130220, "Juuksur", 441, 10884560, None, 4),
           (None, "Keevitaja", 431, 10536894, None, 4), (None, "Sisetööde elektrik", 442, 10456003, None, 4),
           (None, "Mootorsõidukitehnik", 442, 10596888, None, 3)],
    91: [(222502, "Barber", 443, 10884560, "Barber, tase 4", 4), (None, "Keevitaja", 442, 10536937, None, 4),
         (None, "Mehhatroonik", 442, 10545663, None, 3),
         (None, "Elektroonikaseadmete koostaja", 421, 10454282, None, 2)],
    51: [(222202, "IT-kasutajatoe tehnik", 443, 10781518, "Kasutajatoe tehnik, tase 4", 4),
         (None, "Kokk", 442, 10465773, None, 3)],
    107: [(None, "Kokk", 442, 10465773, None, 4), (None, "Plaatija", 442, 10535300, None, 3),
          (None, "Hooldustöötaja", 443, 10559015, None, 5)],
    1400: [(None, "Mootorsõidukitehnik", 442, 10596888, None, 3), (None, "Ehituspuusepp", 442, 10535053, None, 2)],
    92: [(None, "Tisler", 442, 10449687, None, 3), (None, "Hooldustöötaja", 443, 10559015, None, 3)],
    46: [(None, "Kokk", 442, 10465773, None, 3), (None, "Ehituspuusepp", 442, 10535053, None, 2)],
    48: [(None, "Maaler", 442, 10535222, None, 2), (None, "Lapsehoidja", 443, 10414964, None, 3)],
    31: [(None, "Plaatija", 442, 10535300, None, 4), (None, "Maaler", 442, 10535222, None, 3),
         (None, "Ehituspuusepp", 442, 10535053, None, 3), (None, "Pottsepp", 442, POTTSEPP_NEW, None, 2),
         (None, "Pottsepp (2019)", 443, 10489967, None, 1), (None, "Sisetööde elektrik", 442, 10456003, None, 3)],
    26: [(None, "Mootorsõidukitehnik", 442, 10596888, None, 4), (None, "Logistik", 452, 10632293, None, 2)],
    826: [(None, "Kokk", 442, 10465773, None, 4), (None, "Külmamehaanik", 443, 10988847, "R-744 (süsihappegaas)", 2),
          (None, "IT-süsteemide nooremspetsialist", 442, 10781518, None, 5),
          (None, "Võrguelektrik", 442, 11240731, None, 2), (None, "Juuksur", 442, 10884560, None, 3)],
    1017: [(None, "Kondiiter", 441, 10468068, None, 2), (None, "Pagar", 442, 10467994, None, 2),
           (None, "Puhastusteenindaja", 431, 10432667, None, 2)],
    20: [(None, "Abiaednik", 421, 10491530, None, 2)],
    18: [(None, "Metsur", 442, 10466929, None, 3), (None, "Raietööline", 421, 10508424, None, 1)],
    13: [(None, "Kokk", 441, 10465773, None, 2), (None, "Pagar", 442, 10467994, None, 1)],
    81: [(None, "Mootorsõidukitehnik", 442, 10596888, None, 2), (None, "Tisler", 442, 10449687, None, 1)],
    43: [(None, "Hooldustöötaja", 443, 10559015, None, 3), (None, "Lapsehoidja", 443, 10414964, None, 2)],
    88: [(None, "Keevitaja", 431, 10536894, None, 2)],
    22: [(None, "Puhastusteenindaja", 431, 10432667, None, 1)],
    49: [(None, "Kelner", 442, 10586768, None, 1), (None, "Müüja-klienditeenindaja", 442, 10491975, None, 1)],
    6: [(None, "Müüja-klienditeenindaja", 442, 10491975, None, 3), (None, "Logistik", 452, 10632293, None, 2)],
    5631: [(None, "Laevamehaanik", 443, None, None, 2)],
}

# -- names ------------------------------------------------------------------------------------
FEMALE = ["Mari-Liis", "Anna-Liisa", "Kärt", "Triin", "Liis", "Kadri", "Marleen", "Getter", "Helen", "Kristiina",
          "Eliise", "Grete", "Laura", "Sandra", "Merilin", "Kätlin", "Õie", "Ülle", "Maarja", "Kaisa", "Johanna",
          "Hanna-Maria", "Mari Ann", "Liisa-Mari", "Jaanika", "Pille", "Piret", "Siiri", "Kerli", "Eha", "Tiiu",
          "Anu", "Ragne", "Sirje", "Elis", "Mirjam", "Kätriin", "Hele-Mall", "Ann Mari", "Reet"]
MALE = ["Karl Erik", "Jüri", "Jaan", "Märt", "Tõnu", "Tõnis", "Priit", "Rasmus", "Robin", "Sten", "Markus",
        "Kristjan", "Oskar", "Henri", "Hans Christian", "Mart", "Ülo", "Andres", "Siim", "Kaspar", "Raul", "Joosep",
        "Kevin", "Karl-Martin", "Aivar", "Urmas", "Toomas", "Rein", "Väino", "Jürgen", "Mikk", "Ott", "Lauri",
        "Indrek", "Margus", "Taavi", "Sander", "Artur", "Jaan-Eerik", "Pärtel"]
SURNAMES = ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Lepik", "Kõiv",
            "Jõgi", "Õunapuu", "Sõber", "Mets", "Lepp", "Vaher", "Kivi", "Järve", "Teder", "Raudsepp", "Luik",
            "Kallas", "Põder", "Laur", "Kuusk", "Org", "Paju", "Toom", "Männik", "Nõmm", "Kütt", "Leppik", "Ploom",
            "Sild", "Kaasik", "Rätsep", "Õispuu", "Ääremaa", "Järvelaid", "Kõrvits", "Tõnisson", "Ütt", "Šmidt",
            "Põldma", "Käär", "Hõbemägi", "Kärner", "Tõugu", "Lõhmus", "Sarapuu", "Jürgenson", "Türk", "Vähi",
            "Sööt", "Kööp", "Mölder"]
RU_FEMALE = ["Jelena", "Olga", "Tatjana", "Svetlana", "Natalja", "Žanna", "Aljona", "Darja", "Anastassija",
             "Viktoria", "Jekaterina", "Ksenija"]
RU_MALE = ["Dmitri", "Sergei", "Aleksandr", "Andrei", "Maksim", "Nikita", "Artjom", "Vladimir", "Ilja",
           "Jevgeni", "Roman", "Vadim"]
RU_SURNAMES = ["Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vassiljev", "Petrov", "Sokolov", "Mihhailov",
               "Fjodorov", "Morozov", "Volkov", "Žukov", "Šiškin", "Jakovlev", "Orlov", "Bogdanov"]
FOREIGN = [("Olena", "Kovalenko", "F"), ("Oleksandr", "Bondarenko", "M"), ("Aino", "Virtanen", "F"),
           ("Jānis", "Bērziņš", "M")]
RU_SCHOOLS = {1041}  # Russian-language study dominates here

# Graduation terms -> the exam term that serves them.
TERMS = [dt.date(2025, 6, 19), dt.date(2026, 1, 30), dt.date(2026, 6, 18), dt.date(2027, 1, 29),
         dt.date(2027, 6, 17)]
TERM_WEIGHTS = [36, 8, 36, 12, 8]
LEVEL_FOR_EKR = {2: 421, 3: 431, 4: 442, 5: 452}

NO_STANDARD = "Õppekava ei ole seotud kehtiva kutsestandardiga: parandage seos EHISes"
LEGAL_BASIS = "Kutseseadus § 17; kutse andmise kord, p 4.4 (kompetentsid ei ole tõendatud)"
ROLE_USERS = [(r.ADMIN, "admin"), (r.REGISTRY, "registry"), (r.AWARDING_BODY, "awarding"),
              (r.SCHOOL, "school"), (r.ASSESSOR, "assessor")]


# -- identifiers ------------------------------------------------------------------------------
def make_isikukood(rnd: random.Random, birth: dt.date, female: bool, used: set[str]) -> str:
    """A valid isikukood GYYMMDDSSSC for this birth date and sex, not yet in ``used``."""
    century = 3 if birth.year < 2000 else 5
    gender = century + (1 if female else 0)
    while True:
        body = f"{gender}{birth:%y%m%d}{rnd.randint(1, 799):03d}"
        code = next(body + d for d in "0123456789" if ik.is_valid(body + d))
        if code not in used:
            used.add(code)
            return code


def make_registrikood(rnd: random.Random, first: str, used: set[str]) -> str:
    """A valid 8-digit registrikood starting with ``first`` (8 association, 9 foundation)."""
    while True:
        body = first + "".join(rnd.choice("0123456789") for _ in range(6))
        code = next((body + d for d in "0123456789" if rk.is_valid(body + d)), None)
        if code and code not in used:
            used.add(code)
            return code


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _at(day: dt.date, hour: int) -> dt.datetime:
    """Estonian local time as UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TALLINN).astimezone(dt.UTC)


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.replace("SA ", "").split() if w[0].isupper())


# -- the builder ------------------------------------------------------------------------------
DEFAULT_EMPLOYERS = ["Meistrikoda OÜ", "Tööstuspartner AS"]
DEFAULT_ADDRESS = "Lõõtsa 6, 11415 Tallinn"


class _Builder:
    def __init__(self, session, rnd: random.Random, imported: bool = False):
        self.s = session
        self.rnd = rnd
        self.imported = imported  # master data came from the registers: build on them
        self.codes: set[str] = set()
        self.reg_codes: set[str] = {code for _, _, code in SCHOOLS}
        self.counter = Counter()
        if imported:  # generated codes must not collide with imported ones
            self.codes |= set(session.scalars(select(m.Person.isikukood).where(m.Person.isikukood.isnot(None))))
            self.codes |= set(session.scalars(select(m.CommitteeMember.isikukood)))
            self.reg_codes |= set(session.scalars(select(m.AwardingBody.registrikood)))
            self.reg_codes |= set(session.scalars(select(m.School.registrikood)))

    def add(self, *objs):
        self.s.add_all(objs)
        return objs[0] if len(objs) == 1 else objs

    def seq(self, name: str, start: int) -> int:
        self.counter[name] += 1
        return start + self.counter[name]

    def build(self) -> None:
        self.standards_and_parts()
        self.schools_and_bodies()
        self.curricula()
        self.people()
        self.enrolments()
        self.exam_sessions()
        self.outcomes()
        self.operations()

    # standards, specialisations, partial qualifications
    def standards_and_parts(self) -> None:
        rnd = self.rnd
        self.std: dict[int, m.OccupationalStandard] = {}
        self.partials: dict[tuple[int, str], m.PartialQualification] = {}
        self.specs: dict[tuple[int, str], m.Specialisation] = {}
        if self.imported:  # every version the register knows; parts come with the curricula links
            self.std = {st.register_id: st for st in self.s.scalars(select(m.OccupationalStandard))}
            return
        rows = list(STANDARDS)
        pott = next(row for row in rows if row[0] == 10489967)
        rows.append((POTTSEPP_NEW, *pott[1:]))
        for group, (row_id, name, ekr, field, name_en, comps) in enumerate(rows, start=1):
            if row_id == 10489967:  # the expired version
                start, version, group_id = dt.date(2019, 9, 1), 5, 1019
            elif row_id == POTTSEPP_NEW:
                start, version, group_id = dt.date(2024, 9, 1), 6, 1019
            else:
                start = dt.date(2022 + rnd.randint(0, 2), rnd.choice([1, 3, 6, 9, 12]), 1)
                start = min(start, dt.date(2024, 12, 1))
                start = max(start, dt.date(2022, 7, 1))
                version, group_id = rnd.randint(3, 8), 1000 + group
            st = self.add(m.OccupationalStandard(
                register_id=row_id, group_id=group_id, version=version, name=name, name_en=name_en,
                ekr_level=ekr, field=field, occupation=name.split(",")[0], valid_from=start,
                valid_to=_years_later(start, 5) - dt.timedelta(days=1), cert_validity_years=5,
            ))
            self.std[row_id] = st
            for i, cname in enumerate(comps, start=1):
                self.add(m.Competence(standard=st, register_id=row_id * 100 + i, name=cname.rstrip("*"),
                                      mandatory=not cname.endswith("*")))
            for i, sname in enumerate(SPECIALISATIONS.get(row_id, []), start=11):
                self.specs[row_id, sname] = self.add(m.Specialisation(
                    standard=st, register_id=row_id + i, name=f"{name.split(',')[0]}, spetsialiseerumine {sname}"))
            for i, pname in enumerate(PARTIALS.get(row_id, []), start=21):
                self.partials[row_id, pname] = self.add(
                    m.PartialQualification(standard=st, register_id=row_id + i, name=pname))
        self.s.flush()

    def schools_and_bodies(self) -> None:
        rnd = self.rnd
        existing = {s.ehis_id: s for s in self.s.scalars(select(m.School))} if self.imported else {}
        self.schools = {ehis: existing.get(ehis) or self.add(
            m.School(ehis_id=ehis, registrikood=code, name=name, status="open")) for ehis, name, code in SCHOOLS}
        self.schools.update(existing)
        self.bodies: list[m.AwardingBody] = []
        self.body_of: dict[int, m.AwardingBody] = {}  # standard row id -> awarding body
        self.body_address: dict[int, str] = {}
        self.chairs: dict[int, m.CommitteeMember] = {}
        if self.imported:
            self.imported_bodies()
            return
        used_member_ids: set[int] = set()
        for name, first, committee_name, row_ids, address in BODIES:
            body = self.add(m.AwardingBody(
                registrikood=make_registrikood(rnd, first, self.reg_codes), name=name,
                committee_member_required=rnd.random() < 0.3,
                exam_languages="et, ru" if rnd.random() < 0.5 else "et"))
            self.bodies.append(body)
            self.s.flush()
            self.body_address[body.id] = address
            for row_id in row_ids:
                st = self.std[row_id]
                self.add(m.AwardingRight(awarding_body=body, standard=st, valid_from=st.valid_from,
                                         valid_to=st.valid_to))
                self.body_of[row_id] = body
            committee = self.add(m.QualificationCommittee(awarding_body=body, name=committee_name))
            self.s.flush()  # members copy the awarding body from a stored committee
            for role in ["1", "2", "3", "3", "3"]:
                female = rnd.random() < 0.5
                first_name, last_name = self.estonian_name(female)
                birth = dt.date(rnd.randint(1958, 1988), rnd.randint(1, 12), rnd.randint(1, 28))
                while (register_id := rnd.randint(10_000_000, 19_999_999)) in used_member_ids:
                    pass
                used_member_ids.add(register_id)
                member = self.add(m.CommitteeMember(
                    committee=committee, awarding_body=body, register_id=register_id,
                    isikukood=make_isikukood(rnd, birth, female, self.codes),
                    name=f"{first_name} {last_name}", role=role))
                if role == "1":
                    self.chairs[body.id] = member
        self.s.flush()

    def imported_bodies(self) -> None:
        """The register's awarding bodies: who holds which right today, who chairs the committee."""
        self.bodies = list(self.s.scalars(select(m.AwardingBody).order_by(m.AwardingBody.id)))
        addresses = {name: address for name, *_, address in BODIES}
        for right in self.s.scalars(select(m.AwardingRight).order_by(m.AwardingRight.valid_from)):
            if right.valid_from <= TODAY and (right.valid_to is None or TODAY <= right.valid_to):
                self.body_of[right.standard.register_id] = right.awarding_body
        members = self.s.scalars(select(m.CommitteeMember).order_by(m.CommitteeMember.role, m.CommitteeMember.id))
        for member in members:
            self.chairs.setdefault(member.awarding_body_id, member)
        for body in self.bodies:
            self.body_address[body.id] = addresses.get(body.name, DEFAULT_ADDRESS)

    def curricula(self) -> None:
        rnd = self.rnd
        if self.imported:
            self.imported_curricula()
            return
        used = {code for plan in CURRICULA.values() for code, *_ in plan if code}
        self.curricula_list: list[tuple[m.Curriculum, int, m.OccupationalStandard | None, int]] = []
        for ehis, plan in CURRICULA.items():
            for code, name, level, row_id, _, weight in plan:
                while code is None:
                    candidate = rnd.randint(100_000, 299_999)
                    code = None if candidate in used else candidate
                used.add(code)
                cur = self.add(m.Curriculum(ehis_code=code, school=self.schools[ehis], name=name, level_code=level,
                                            status="valid", no_valid_standard=row_id is None))
                self.curricula_list.append((cur, ehis, self.std.get(row_id), weight))
        self.s.flush()  # links copy the school from a stored curriculum
        self.curriculum_part: dict[int, tuple] = {}
        for (cur, _, st, _), (*_, part, _) in zip(self.curricula_list, [p for ps in CURRICULA.values() for p in ps],
                                                   strict=True):
            if st is None:
                continue
            link = self.add(m.CurriculumStandardLink(
                curriculum=cur, standard=st, school_id=cur.school_id,
                specialisation=self.specs.get((st.register_id, part)),
                partial_qualification=self.partials.get((st.register_id, part))))
            self.curriculum_part[cur.id] = (link.specialisation, link.partial_qualification)
        self.s.flush()

    def imported_curricula(self) -> None:
        """EHIS's curricula with their links; a curriculum with one link gives its part too."""
        links = defaultdict(list)
        for link in self.s.scalars(select(m.CurriculumStandardLink).order_by(m.CurriculumStandardLink.id)):
            links[link.curriculum_id].append(link)
        self.curricula_list = []
        self.curriculum_part = {}
        for cur in self.s.scalars(select(m.Curriculum).where(m.Curriculum.status == "valid")
                                  .order_by(m.Curriculum.ehis_code)):
            own = links.get(cur.id, [])
            self.curricula_list.append((cur, cur.school.ehis_id, own[0].standard if own else None, 1))
            if len(own) == 1:
                self.curriculum_part[cur.id] = (own[0].specialisation, own[0].partial_qualification)

    # persons
    def estonian_name(self, female: bool) -> tuple[str, str]:
        rnd = self.rnd
        first = rnd.choice(FEMALE if female else MALE)
        last = rnd.choice(SURNAMES)
        if rnd.random() < 0.07:
            other = rnd.choice(SURNAMES)
            if other != last:
                last = f"{last}-{other}"
        return first, last

    def russian_name(self, female: bool) -> tuple[str, str]:
        last = self.rnd.choice(RU_SURNAMES)
        return self.rnd.choice(RU_FEMALE if female else RU_MALE), last + ("a" if female else "")

    def person(self, birth: dt.date, female: bool, russian: bool = False) -> m.Person:
        first, last = self.russian_name(female) if russian else self.estonian_name(female)
        return self.add(m.Person(isikukood=make_isikukood(self.rnd, birth, female, self.codes),
                                 first_name=first, last_name=last, birth_date=birth))

    def people(self) -> None:
        rnd = self.rnd
        self.assessor_pool: dict[int, list[tuple[m.Person, str, str | None, m.School | None]]] = {}
        body_schools = defaultdict(set)
        for _cur, ehis, st, _ in self.curricula_list:
            if st is not None and st.register_id in self.body_of:
                body_schools[self.body_of[st.register_id].id].add(ehis)
        for body in self.bodies:
            pool = []
            outside = [e for e, *_ in SCHOOLS if e not in body_schools[body.id]]
            for i, representation in enumerate(["employer", "employee", "teacher", "employer"]):
                female = rnd.random() < 0.5
                birth = dt.date(rnd.randint(1962, 1992), rnd.randint(1, 12), rnd.randint(1, 28))
                person = self.person(birth, female)
                if representation == "teacher":
                    school = self.schools[rnd.choice(outside)] if outside else None
                    pool.append((person, "teacher" if school else "other", school.name if school else None, school))
                else:
                    employer = EMPLOYERS.get(body.name, DEFAULT_EMPLOYERS)[i % 2]
                    pool.append((person, representation, employer, None))
            self.assessor_pool[body.id] = pool
        self.s.flush()

    def enrolments(self) -> None:
        rnd = self.rnd
        if self.imported:  # routed like imported graduates, by the rights the register gave
            from app.services.routing import Router

            self.router = Router(self.s)
            self.std_by_id = {st.id: st for st in self.std.values()}
            self.body_by_id = {b.id: b for b in self.bodies}
        weights = [w for *_, w in self.curricula_list]
        self.enrolment_list: list[m.Enrolment] = []
        n_students = 270
        foreign_left = list(FOREIGN)
        students: list[m.Person] = []
        for k in range(n_students):
            cur, ehis, st, _ = rnd.choices(self.curricula_list, weights=weights)[0]
            term = rnd.choices(TERMS, weights=TERM_WEIGHTS)[0]
            continuing = cur.level_code in (443, 453)
            age = rnd.randint(24, 48) if continuing else rnd.randint(18, 22)
            birth = dt.date(term.year - age, rnd.randint(1, 12), rnd.randint(1, 28))
            female = rnd.random() < 0.5
            russian = rnd.random() < (0.8 if ehis in RU_SCHOOLS else 0.08)
            if foreign_left and k % 60 == 30:
                first, last, _ = foreign_left.pop(0)
                person = self.add(m.Person(isikukood=None, first_name=first, last_name=last, birth_date=birth))
                language = "en"
            elif students and rnd.random() < 0.03:
                person = rnd.choice(students)  # a second curriculum for the same person
                if any(e.person is person and e.curriculum is cur for e in self.enrolment_list):
                    continue
                language = "ru" if russian else "et"
            else:
                person = self.person(birth, female, russian)
                language = "ru" if russian else "et"
            students.append(person)
            self.enrolment_list.append(self.enrolment(person, cur, st, term, language))
        self.s.flush()

    def enrolment(self, person, cur, st, term, language) -> m.Enrolment:
        rnd = self.rnd
        past = term <= TODAY
        if past:
            status = rnd.choices(["lopetanud", "valja_arvatud"], weights=[94, 6])[0]
        else:
            status = rnd.choices(["oppimas", "akadeemilisel_puhkusel"], weights=[93, 7])[0]
        e = m.Enrolment(person=person, curriculum=cur, school=cur.school, study_language=language,
                        study_form=rnd.choices(["statsionaarne", "toopohine", "mittestatsionaarne"], [75, 15, 10])[0],
                        status=status, expected_graduation=term,
                        graduation_date=term if status == "lopetanud" else None)
        if self.imported:
            route = self.router.route(cur.id, status, term)
            e.standard, e.routing_problem = self.std_by_id.get(route.standard_id), route.problem
            e.awarding_body = self.body_by_id.get(route.awarding_body_id)
            if e.awarding_body is not None and status in ("lopetanud", "oppimas"):
                if rnd.random() < (0.88 if term <= dt.date(2027, 1, 31) else 0.2):
                    e.candidate_confirmed = True
                    e.confirmed_at = _at(term - dt.timedelta(days=rnd.randint(70, 120)), 10)
        elif st is None:
            e.routing_problem = NO_STANDARD
        elif not st.is_valid_on(term):
            e.routing_problem = (f"Õppekava on seotud aegunud kutsestandardi versiooniga „{st.name}” "
                                 f"(kehtis kuni {st.valid_to:%d.%m.%Y}): parandage seos EHISes")
        elif st.register_id not in self.body_of:
            e.standard = st
            e.routing_problem = (f"Kutsestandardil „{st.name}” ei ole kehtiva kutse andmise õigusega kutse "
                                 "andjat: pöörduge Kutsekoja poole")
        elif status in ("lopetanud", "oppimas"):
            e.standard, e.awarding_body = st, self.body_of[st.register_id]
            confirm = rnd.random() < (0.88 if term <= dt.date(2027, 1, 31) else 0.2)
            if confirm:
                e.candidate_confirmed = True
                e.confirmed_at = _at(term - dt.timedelta(days=rnd.randint(70, 120)), 10)
                e.exam_language = language
        return self.add(e)

    # exam sessions, registrations, assessors, results. Children copy owner columns from their
    # parents at flush time, so every layer is flushed before the next one is built.
    def exam_sessions(self) -> None:
        rnd = self.rnd
        tracks: dict[tuple, dict[dt.date, list[m.Enrolment]]] = defaultdict(lambda: defaultdict(list))
        for e in self.enrolment_list:
            if e.awarding_body is not None and e.candidate_confirmed and e.expected_graduation in TERMS[:4]:
                spec, partial = self.curriculum_part.get(e.curriculum.id, (None, None))
                tracks[(e.awarding_body.id, e.standard.register_id, spec, partial)][e.expected_graduation].append(e)
        # A lone candidate waits for the next exam date of the same qualification.
        planned: list[tuple[dt.date, tuple, list[m.Enrolment]]] = []
        for track in sorted(tracks, key=lambda k: (k[0], k[1], str(k[2]), str(k[3]))):
            waiting: list[m.Enrolment] = []
            terms = sorted(tracks[track])
            for term in terms:
                waiting += tracks[track][term]
                if len(waiting) >= 2 or term == terms[-1]:
                    half = len(waiting) // 2
                    for chunk in [waiting[:half], waiting[half:]] if len(waiting) > 9 else [waiting]:
                        planned.append((term, track, chunk))
                    waiting = []
        self.sessions: list[tuple[m.ExamSession, list[m.Enrolment]]] = []
        cycles = {TERMS[0]: ["closed"], TERMS[1]: ["closed", "decided"], TERMS[2]: ["closed", "decided", "closed"],
                  TERMS[3]: ["published", "held", "results_entered", "draft", "published", "held"]}
        windows = {TERMS[0]: (dt.date(2025, 5, 12), 28), TERMS[1]: (dt.date(2025, 11, 24), 18),
                   TERMS[2]: (dt.date(2026, 5, 11), 28)}
        windows_autumn_2026 = {"results_entered": (dt.date(2026, 10, 19), 14), "held": (dt.date(2026, 11, 9), 12),
                               "published": (dt.date(2026, 11, 30), 10), "draft": (dt.date(2026, 12, 14), 4)}
        seen = Counter()
        cancelled_done = False
        for term, track, chunk in planned:
            status = cycles[term][seen[term] % len(cycles[term])]
            seen[term] += 1
            first, span = windows.get(term) or windows_autumn_2026[status]
            day = _weekday(first + dt.timedelta(days=rnd.randint(0, span)))
            if not cancelled_done and term == TERMS[2] and len(chunk) >= 2:
                cancelled_done = True  # the first date fell through; candidates moved to the second
                self.session(track, chunk, _weekday(day - dt.timedelta(days=14)), "cancelled")
            self.session(track, chunk, day, status)
        self.s.flush()
        self.registrations: dict[int, list[m.Registration]] = {}
        for x, chunk in self.sessions:
            self.registrations[x.id] = self.register(x, chunk)
            self.assign_assessors(x)
        self.s.flush()

    def session(self, track, chunk, day, status) -> None:
        rnd = self.rnd
        body_id, row_id, spec, partial = track
        body = next(b for b in self.bodies if b.id == body_id)
        place = Counter(e.school.ehis_id for e in chunk).most_common(1)[0][0]
        russian = sum(e.study_language == "ru" for e in chunk) > len(chunk) / 2
        at_school = rnd.random() < 0.75
        length = 2 if rnd.random() < 0.25 else 1
        x = self.add(m.ExamSession(
            awarding_body=body, standard=self.std[row_id], specialisation=spec, partial_qualification=partial,
            place_school=self.schools[place] if at_school else None,
            place_address=None if at_school else self.body_address[body.id],
            starts_at=_at(day, 9), ends_at=_at(day + dt.timedelta(days=length - 1), 15),
            language="ru" if russian else "et", capacity=max(8, -(-(len(chunk) + 2) // 4) * 4),
            registration_deadline=day - dt.timedelta(days=21), status=status,
            cancellation_reason="Hindamiskomisjon ei olnud täies koosseisus" if status == "cancelled" else None))
        self.sessions.append((x, chunk))

    def register(self, x: m.ExamSession, chunk: list[m.Enrolment]) -> list[m.Registration]:
        rnd = self.rnd
        if x.status == "draft":
            return []  # not published yet: confirmed candidates wait to be assigned
        registrations = []
        for e in chunk:
            reg = m.Registration(exam_session=x, enrolment=e, exam_language=x.language,
                                 public_consent=rnd.random() < 0.7)
            if x.status == "cancelled":
                reg.status = "withdrawn"
                reg.withdrawal_reason = ("Kutseeksam tühistati, sest hindamiskomisjon ei olnud täies koosseisus; "
                                         "kandidaat registreeriti uuele eksamiajale")
            elif rnd.random() < 0.04:
                reg.status = "withdrawn"
                reg.withdrawal_reason = "Kandidaat loobus eksamist perekondlikel põhjustel"
            elif rnd.random() < 0.06:
                reg.special_arrangements_needed = True
                reg.special_arrangements = "Lisaaeg kirjaliku osa jaoks (düsleksia), 30 minutit"
            registrations.append(self.add(reg))
        return registrations

    def assign_assessors(self, x: m.ExamSession) -> None:
        """Chair plus two members, each with the side they represent."""
        if x.status in ("draft", "cancelled"):
            return
        pool = self.assessor_pool[x.awarding_body.id]
        start = self.rnd.randint(0, len(pool) - 1)
        for i in range(3):
            person, representation, employer, school = pool[(start + i) % len(pool)]
            self.add(m.AssessorAssignment(exam_session=x, person=person, role="chair" if i == 0 else "member",
                                          representation=representation, employer_name=employer,
                                          employer_school=school))

    def outcomes(self) -> None:
        rnd = self.rnd
        self.decisions: list[m.Decision] = []
        self.refusals: list[m.Decision] = []
        self.certificates: list[m.Certificate] = []
        other_level_done = False
        protocol = Counter()
        graded = []  # (session, registration, result, [(competence, passed)], protocol number)
        for x, _ in self.sessions:
            if x.status not in ("held", "results_entered", "decided", "closed"):
                continue
            comps = [c for c in x.standard.competences if c.mandatory]
            if x.partial_qualification is not None:
                comps = comps[:2]
            if x.status == "held":
                comps = comps[:1]  # the chair has entered only the first competence so far
            year = x.starts_at.year
            protocol[(x.awarding_body.id, year)] += 1
            number = f"{_initials(x.awarding_body.name)}-{year}/{protocol[(x.awarding_body.id, year)]}"
            for reg in self.registrations[x.id]:
                if reg.status != "registered" or (x.status == "held" and rnd.random() < 0.5):
                    continue
                attended = rnd.random() > 0.04
                marks = [(c, rnd.random() > 0.05) for c in comps] if attended else []
                failed = [c for c, passed in marks if not passed]
                result = self.add(m.Result(registration=reg, attended=attended, status="draft"))
                if x.status != "held":
                    result.status = "submitted"
                    result.submitted_at = _at(x.ends_at.date() + dt.timedelta(days=1), 12)
                    if not attended:
                        result.proposal, result.comment = "refuse", "Ei ilmunud kutseeksamile"
                    elif failed:
                        result.proposal = "refuse"
                        result.comment = f"Kompetents „{failed[0].name}” jäi tõendamata"
                        if (not other_level_done and len(failed) == 1 and x.status == "closed"
                                and x.standard.register_id == 10465773):
                            other_level_done = True
                            result.proposal = "award_other_level"
                            result.comment = "Taseme 4 kompetents jäi tõendamata; taseme 3 kompetentsid on tõendatud"
                    else:
                        result.proposal = "award"
                graded.append((x, reg, result, marks, failed, number))
        self.s.flush()
        for x, reg, result, marks, failed, number in graded:
            for comp, passed in marks:
                points = Decimal(rnd.randint(62, 98) if passed else rnd.randint(20, 49))
                self.add(m.CompetenceResult(result=result, competence=comp, passed=passed, points=points))
            if x.status in ("decided", "closed"):
                self.decision(x, reg, result, failed, number)
        self.s.flush()
        for d in self.decisions:
            self.certificate(d)
        self.s.flush()

    def decision(self, x, reg, result, failed, number) -> None:
        outcome = result.proposal
        d = m.Decision(registration=reg, outcome=outcome, decision_date=x.ends_at.date() + dt.timedelta(days=10),
                       protocol_number=number, signer=self.chairs[x.awarding_body.id], status="confirmed")
        if outcome == "award":
            d.awarded_standard = x.standard
        elif outcome == "award_other_level":
            d.awarded_standard = self.std[10431606]  # Abikokk, tase 3
        else:
            d.legal_basis = LEGAL_BASIS
            if result.attended:
                d.reasons = (f"Taotleja ei tõendanud kompetentsi „{failed[0].name}” (hindamisprotokoll {number}): "
                             "praktiline töö ei vastanud hindamiskriteeriumidele.")
            else:
                d.reasons = "Taotleja ei ilmunud kutseeksamile ega teatanud mõjuvast põhjusest."
            self.refusals.append(d)
        if x.status == "decided" and self.rnd.random() < 0.15:
            d.status = "draft"
        self.decisions.append(self.add(d))

    def certificate(self, d: m.Decision) -> None:
        rnd = self.rnd
        if d.outcome == "refuse" or d.status != "confirmed":
            return
        reg = d.registration
        x, person, st = reg.exam_session, reg.enrolment.person, d.awarded_standard
        partial = x.partial_qualification if d.outcome == "award" else None
        if partial is not None:
            cert_type = "2"
        elif reg.enrolment.curriculum.level_code in (441, 442) and rnd.random() < 0.25:
            cert_type = "3"
        else:
            cert_type = "1"
        issue = d.decision_date
        cert = m.Certificate(
            decision=d, awarding_body_id=d.awarding_body_id, school_id=d.school_id, person=person,
            holder_name=person.full_name, isikukood=person.isikukood, cert_type=cert_type, standard=st,
            specialisation=x.specialisation if d.outcome == "award" else None, partial_qualification=partial,
            exam_language=x.language, issue_date=issue, valid_from=issue,
            valid_to=_years_later(issue, st.cert_validity_years) - dt.timedelta(days=1),
            signer=d.signer, name_hidden=not reg.public_consent, birth_date_hidden=not reg.public_consent,
            register_reference=f"EKS-{rnd.getrandbits(48):012x}",
        )
        if x.status == "closed" and self.imported:
            cert.status, cert.register_reference = "ready", None  # the register export job enters it
        elif x.status == "closed":
            cert.status = "registered"
            cert.registration_number = str(self.seq("certificate", 198_400))
        else:
            cert.status = rnd.choice(["draft", "ready", "ready"])
        self.certificates.append(self.add(cert))

    def operations(self) -> None:
        rnd = self.rnd
        if self.imported:  # the register export and the import jobs write the real history
            self.appeals()
            self.account_requests()
            self.s.flush()
            return
        registered = [c for c in self.certificates if c.status == "registered"]
        # One rejected by the register, one duplicate of a lost original.
        rejected = registered[len(registered) // 2]
        # History, not a user's action: a registered certificate never turns rejected through the
        # screens (app.services.states), so the demo writes this one directly.
        self.s.flush()
        self.s.execute(sa.update(m.Certificate).where(m.Certificate.id == rejected.id).values(
            status="rejected", registration_number=None,
            register_errors=("Kutseregister lükkas kande tagasi (kood 412): allkirjastaja ei ole otsuse "
                             "kuupäeval kutsekomisjoni koosseisus; kontrollige allkirjastajat ja saatke "
                             "tunnistus uuesti.")))
        self.s.expire(rejected)
        registered.remove(rejected)
        original = registered[0]
        self.add(m.Certificate(
            decision=original.decision, awarding_body_id=original.awarding_body_id, school_id=original.school_id,
            person=original.person, holder_name=original.holder_name, isikukood=original.isikukood,
            cert_type=original.cert_type, standard=original.standard, exam_language=original.exam_language,
            issue_date=dt.date(2026, 3, 16), valid_from=original.valid_from, valid_to=original.valid_to,
            signer=original.signer, status="registered", duplicate_of=original, duplicate_reason="1",
            registration_number=str(self.seq("certificate", 198_400)),
            register_reference=f"EKS-{rnd.getrandbits(48):012x}"))
        self.appeals()
        self.jobs(rejected)
        self.account_requests()
        self.s.flush()

    def appeals(self) -> None:
        """Appeals against refusals: one dismissed, one pending, one late with a reason."""
        confirmed = sorted((d for d in self.refusals if d.status == "confirmed"), key=lambda d: d.decision_date)
        plans = [("dismissed", 14, None),
                 ("dismissed", 41, "Taotleja viibis otsuse teatavaks tegemise ajal haiglaravil"),
                 ("pending", 20, None)]
        picks = [confirmed[0], confirmed[len(confirmed) // 2], confirmed[-1]] if len(confirmed) >= 3 else confirmed
        for d, (outcome, days, late) in zip(picks, plans, strict=False):
            filed = d.decision_date + dt.timedelta(days=days)
            self.add(m.Appeal(
                decision=d, filed_date=filed, late_reason=late,
                description="Taotleja leiab, et praktilise töö hindamisel ei arvestatud hindamisjuhendis "
                            "lubatud töövõtteid, ja palub otsuse uuesti läbi vaadata.",
                handling_body=f"{d.registration.exam_session.awarding_body.name} apellatsioonikomisjon",
                outcome=outcome, outcome_date=None if outcome == "pending" else filed + dt.timedelta(days=21)))

    def jobs(self, rejected: m.Certificate) -> None:
        top = self.top_body()
        no_std = next(cur for cur, _, st, _ in self.curricula_list if st is None)
        metsur = next(cur for cur, _, st, _ in self.curricula_list if st is not None and st.register_id == 10466929)

        def run(kind, status, day, minutes, **kw):
            start = _at(day, 2)
            errors = kw.pop("errors", [])
            job = m.JobRun(kind=kind, status=status, queued_at=start, started_at=start + dt.timedelta(seconds=2),
                           finished_at=start + dt.timedelta(minutes=minutes),
                           heartbeat_at=start + dt.timedelta(minutes=minutes), errors=errors or None, **kw)
            job.error_rows = [m.JobRunError(record=e["record"], field=e["field"], reason=e["reason"],
                                            awarding_body_id=job.awarding_body_id, at=job.finished_at)
                              for e in errors]
            return self.add(job)

        n_std = len(self.std)
        run("standards_import", "succeeded", dt.date(2026, 11, 24), 1, params={"allikas": "Kutseregister"},
            progress_done=n_std, progress_total=n_std, unchanged_count=n_std, actor="ajastaja",
            message="Kutsestandardid, kutse andjad ja kutsekomisjonid on Kutseregistriga kooskõlas.")
        graduate_errors = [
            {"record": "Õppur 39913450123, õppekava 130219", "field": "isikukood",
             "reason": "Isikukood 39913450123 sisaldab võimatut sünnikuupäeva: parandage isikuandmed EHISes"},
            {"record": f"Õppekava {no_std.ehis_code} ({no_std.name}, {no_std.school.name})", "field": "kutsestandard",
             "reason": NO_STANDARD},
            {"record": f"Õppekava {metsur.ehis_code} ({metsur.name}, {metsur.school.name})", "field": "kutse andja",
             "reason": "Kutsestandardil „Metsur, tase 4” ei ole kehtiva kutse andmise õigusega kutse andjat"},
            {"record": "Õppur Ahmad Karimi, õppekava 222202", "field": "sünniaeg",
             "reason": "Isikukoodita õppuril puudub sünniaeg: lisage sünniaeg EHISes"},
            {"record": "Õppur 50304122738, õppekava 130220", "field": "lõpetamise kuupäev",
             "reason": "Lõpetamise kuupäev 31.08.2027 jääb lõpetajate nimekirja ajavahemikust välja"},
        ]
        total = len(self.enrolment_list)
        run("graduates_import", "partial", dt.date(2026, 11, 20), 3, params={"oppeaasta": "2026/2027"},
            progress_done=total, progress_total=total, created_count=total - 23, updated_count=18,
            unchanged_count=0, rejected_count=len(graduate_errors), errors=graduate_errors, actor="registry",
            message="Lõpetajate nimekiri imporditi; 5 kirjet jäi karantiini (vt vead).")
        n_reg = sum(1 for c in self.certificates if c.awarding_body_id == top.id and c.status == "registered")
        run("certificate_export", "succeeded", dt.date(2026, 7, 2), 2, params={"kutse_andja": top.id},
            awarding_body_id=top.id, progress_done=n_reg, progress_total=n_reg, created_count=n_reg,
            actor="awarding", message="Tunnistused kanti Kutseregistrisse.")
        run("certificate_export", "partial", dt.date(2026, 7, 3), 1,
            params={"kutse_andja": rejected.awarding_body_id}, awarding_body_id=rejected.awarding_body_id,
            progress_done=1, progress_total=1, rejected_count=1, actor="ajastaja",
            errors=[{"record": f"Tunnistus {rejected.register_reference} ({rejected.holder_name})",
                     "field": "allkirjastaja", "reason": rejected.register_errors}],
            message="Kutseregister lükkas ühe tunnistuse tagasi.")
        failure = ("Kutseregistri X-tee teenus kutsetunnistuseLisamine ei vastanud 30 sekundi jooksul; "
                   "ükski tunnistus ei muutunud. Proovige hiljem uuesti.")
        run("certificate_export", "failed", dt.date(2026, 11, 23), 1, params={"kutse_andja": top.id},
            awarding_body_id=top.id, progress_done=0, progress_total=4, actor="awarding", message=failure,
            errors=[{"record": "X-tee päring", "field": None, "reason": failure}])

    def account_requests(self) -> None:
        rnd = self.rnd
        plans = [
            (r.SCHOOL, None, self.schools[107],
             "Korraldan Pärnumaa Kutsehariduskeskuses kutseeksamite ühistaotlusi ja vajan ligipääsu "
             "lõpetajate nimekirjale."),
            (r.AWARDING_BODY, self.bodies[3], None,
             "Olen Eesti Ehitusettevõtjate Liidu kutsekomisjoni sekretär ja sisestan eksamiajad ning otsused."),
            (r.ASSESSOR, None, None,
             "Olen Eesti Hotellide ja Restoranide Liidu hindaja ja vajan ligipääsu hindamislehtedele."),
        ]
        for role, body, school, why in plans:
            female = rnd.random() < 0.5
            first, last = self.estonian_name(female)
            birth = dt.date(rnd.randint(1965, 1995), rnd.randint(1, 12), rnd.randint(1, 28))
            email = (f"{first.split()[0].split('-')[0]}.{last.split('-')[0]}@example.ee".lower()
                     .translate(str.maketrans("õäöüšž", "oaousz")))
            self.add(m.AccountRequest(
                first_name=first, last_name=last, isikukood=make_isikukood(rnd, birth, female, self.codes),
                email=email, requested_role=role, awarding_body=body, school=school, justification=why,
                status="open", submitted_at=_at(TODAY - dt.timedelta(days=rnd.randint(1, 6)), 11)))

    def top_body(self) -> m.AwardingBody:
        counts = Counter(x.awarding_body.id for x, _ in self.sessions for _ in self.registrations[x.id])
        return max(self.bodies, key=lambda b: (counts[b.id], -b.id))

    def demo_assessor(self) -> m.Person:
        """The assessor sitting on the most committees, at least one of an open (published) session."""
        on_open, count = set(), Counter()
        for x, _ in self.sessions:
            for a in x.assessors:
                count[a.person.id] += 1
                if x.status == "published":
                    on_open.add(a.person.id)
        people = {p.id: p for pool in self.assessor_pool.values() for p, *_ in pool}
        best = max(sorted(on_open), key=lambda pid: count[pid])
        return people[best]


# -- users and the logins file ----------------------------------------------------------------
def logins_path() -> Path:
    configured = current_app.config.get("DEMO_LOGINS_FILE")
    if configured:
        return Path(configured)
    return Path(current_app.config.get("INSTANCE_DIR") or current_app.instance_path) / "demo-logins.txt"


def _write_logins(logins: list[tuple[str, str, str]]) -> None:
    path = logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Eksamihaldus demo logins: role<TAB>username<TAB>password.",
             "# Generated when the demo database was seeded; delete the database to start over."]
    lines += ["\t".join(login) for login in logins]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def _read_logins() -> list[tuple[str, str, str]]:
    path = logins_path()
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if not line.startswith("#") and len(parts) == 3:
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def _existing_logins(appbuilder) -> list[tuple[str, str, str]]:
    """Logins of an already seeded database: from the file, or new passwords for demo users
    whose stored password no longer matches it (the file was lost or belongs to another DB)."""
    sm = appbuilder.sm
    known = {username: password for _, username, password in _read_logins()}
    logins, changed = [], False
    for role, username in ROLE_USERS:
        user = sm.find_user(username=username)
        if user is None or not (user.email or "").endswith("@" + DEMO_EMAIL_DOMAIN):
            continue
        password = known.get(username)
        if not password or not check_password_hash(user.password or "", password):
            password = secrets.token_urlsafe(9)
            sm.reset_password(user.id, password)
            changed = True
        logins.append((role, username, password))
    if changed or len(known) != len(logins):
        _write_logins(logins)
    return logins


def _demo_users(appbuilder) -> bool:
    return any((u := appbuilder.sm.find_user(username=name)) is not None
               and (u.email or "").endswith("@" + DEMO_EMAIL_DOMAIN) for _, name in ROLE_USERS)


def _create_users(appbuilder, b: _Builder) -> list[tuple[str, str, str]]:
    sm, rnd = appbuilder.sm, b.rnd
    assessor = b.demo_assessor()
    school = b.schools[32]
    orgs = {r.AWARDING_BODY: {"awarding_body_id": b.top_body().id}, r.SCHOOL: {"school_id": school.id}}
    logins = []
    for role, username in ROLE_USERS:
        if role == r.ASSESSOR:
            first, last, code = assessor.first_name, assessor.last_name, assessor.isikukood
        else:
            female = rnd.random() < 0.5
            first, last = b.estonian_name(female)
            birth = dt.date(rnd.randint(1968, 1996), rnd.randint(1, 12), rnd.randint(1, 28))
            code = make_isikukood(rnd, birth, female, b.codes)
        password = secrets.token_urlsafe(9)
        create_user(sm, username=username, password=password, role=role, isikukood=code, first_name=first,
                    last_name=last, email=f"{username}@{DEMO_EMAIL_DOMAIN}", **orgs.get(role, {}))
        logins.append((role, username, password))
    return logins


def seed(appbuilder, seed: int = 2026) -> list[tuple[str, str, str]]:
    """Fill an empty database with demo data and users; returns (role, username, password)."""
    session = appbuilder.session
    if session.scalar(select(func.count()).select_from(m.ExamSession)) or _demo_users(appbuilder):
        return _existing_logins(appbuilder)
    missing = [role for role, _ in ROLE_USERS if appbuilder.sm.find_role(role) is None]
    if missing:
        raise RuntimeError(f"roles missing ({', '.join(missing)}): run `flask eksamihaldus sync-roles` first")
    with acting_as(ACTOR):
        imported = bool(session.scalar(select(func.count()).select_from(m.AwardingBody)))
        builder = _Builder(session, random.Random(seed), imported=imported)
        try:
            builder.build()
            logins = _create_users(appbuilder, builder)  # commits the demo data with the users
        except Exception:
            session.rollback()
            raise
    _write_logins(logins)
    return logins


def organisation_of(appbuilder, username: str) -> str:
    """The organisation (or committee seat) a demo user acts for, for the start-up banner."""
    user = appbuilder.sm.find_user(username=username)
    if user is None:
        return ""
    if user.awarding_body_id:
        return appbuilder.session.get(m.AwardingBody, user.awarding_body_id).name
    if user.school_id:
        return appbuilder.session.get(m.School, user.school_id).name
    if user.isikukood and any(role.name == r.ASSESSOR for role in user.roles):
        return f"{user.first_name} {user.last_name}, hindamiskomisjoni liige"
    return ""
