"""Name lists for generated people: Estonian, Russian (in Estonian transliteration) and foreign.

Illustrative only; chosen to exercise õ ä ö ü š ž, hyphens, several given names and apostrophes.
"""

ET_MALE = (
    "Andres", "Ants", "Jaan", "Jüri", "Kalle", "Karl", "Kristjan", "Lauri", "Madis", "Margus",
    "Martin", "Mati", "Meelis", "Priit", "Rain", "Rasmus", "Siim", "Sten", "Tanel", "Tarmo",
    "Toomas", "Tõnu", "Tõnis", "Urmas", "Villem", "Märt", "Robin", "Oskar", "Hugo", "Mattias",
    "Kaspar", "Joosep", "Henri", "Artur", "Sander", "Kevin", "Markus", "Gert", "Rene", "Ülo",
    "Ülar", "Peeter", "Jörgen", "Sören", "Mihkel", "Jaagup", "Tõivo", "Rauno", "Kermo", "Õnnar",
)
ET_FEMALE = (
    "Anna", "Anu", "Eve", "Helen", "Kadri", "Kairi", "Katrin", "Kristiina", "Liis", "Maarja",
    "Mari", "Marju", "Merle", "Piret", "Reet", "Sirje", "Tiina", "Triin", "Ülle", "Õie", "Ene",
    "Mai", "Laura", "Sofia", "Emma", "Mia", "Eliise", "Hanna", "Grete", "Kätlin", "Kärt",
    "Getter", "Mirjam", "Kätriin", "Pärja", "Säde", "Õnne", "Küllike", "Heli", "Ööbiku",
)
ET_MALE_HYPHEN = ("Karl-Erik", "Hans-Peeter", "Jaan-Eerik", "Kristjan-Märt", "Mark-Oliver", "Sten-Ülar")
ET_FEMALE_HYPHEN = ("Mari-Liis", "Anna-Liisa", "Hele-Mai", "Kadri-Ann", "Liis-Marii", "Kärt-Õie")
ET_SURNAMES = (
    "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Põder",
    "Lepik", "Kõiv", "Jõgi", "Mölder", "Lõhmus", "Oja", "Kuusk", "Raudsepp", "Vaher", "Karu",
    "Kivi", "Lill", "Luik", "Toom", "Järv", "Org", "Pihlak", "Sõnajalg", "Mõttus", "Kütt",
    "Põldma", "Männik", "Süvalep", "Ööbik", "Ääremaa", "Tõnisson", "Jürgenson", "Kärner", "Kaasik",
    "Valk", "Kangur", "Ots", "Laur", "Nõmm", "Härm", "Käärik", "Väli", "Jürisoo", "Šmidt",
    "Õunapuu", "Vällik", "Hõbemägi", "Pärtel", "Tüür",
)
RU_MALE = (
    "Aleksandr", "Sergei", "Dmitri", "Andrei", "Aleksei", "Maksim", "Jevgeni", "Ivan", "Mihhail",
    "Artjom", "Nikita", "Vladimir", "Denis", "Pavel", "Roman", "Ilja", "Kirill", "Vjatšeslav",
    "Juri", "Oleg", "Stanislav", "Daniil", "Jegor",
)
RU_FEMALE = (
    "Jelena", "Olga", "Natalja", "Tatjana", "Irina", "Svetlana", "Julia", "Anastassia",
    "Jekaterina", "Marina", "Anna", "Darja", "Viktoria", "Ksenija", "Aljona", "Valeria", "Sofia",
    "Polina", "Ljudmila", "Žanna", "Nadežda", "Alina",
)
# Masculine forms; feminine ones are derived (-ov → -ova, -ski → -skaja, -in → -ina).
RU_SURNAMES = (
    "Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vassiljev", "Petrov", "Sokolov", "Mihhailov",
    "Fjodorov", "Morozov", "Volkov", "Aleksejev", "Lebedev", "Semjonov", "Jegorov", "Pavlov",
    "Kozlov", "Stepanov", "Nikolajev", "Orlov", "Andrejev", "Makarov", "Nikitin", "Zahharov",
    "Solovjov", "Borissov", "Jakovlev", "Grigorjev", "Romanov", "Vorobjov", "Sergejev", "Kuzmin",
    "Žukov", "Belousov", "Ševtšenko", "Šarapov", "Tšernov", "Ždanov", "Šestakov", "Žuravljov",
    "Tšaikovski", "Kisseljov", "Iljin", "Sorokin", "Medvedev", "Tarassov",
)
FOREIGN_MALE = ("Oleksandr", "Mykola", "Taras", "Jānis", "Mika", "Liam", "Seán", "Andrzej", "Tomás", "Lukas")
FOREIGN_FEMALE = ("Olena", "Iryna", "Oksana", "Līga", "Aino", "Chloé", "Siobhán", "Agnieszka", "Zoë", "Inês")
FOREIGN_SURNAMES = (
    "Kovalenko", "Shevchenko", "Bondarenko", "Melnyk", "Bērziņš", "Kalniņa", "Virtanen", "Korhonen",
    "O'Brien", "O'Connor", "D'Angelo", "Müller", "Nguyen", "Kowalski", "Dell'Acqua", "N'Diaye",
)


def feminine(surname: str) -> str:
    """Feminine form of a Russian surname (Estonian transliteration)."""
    if surname.endswith("ski"):
        return surname[:-1] + "aja"
    if surname.endswith(("ov", "ev", "jov", "in")):
        return surname + "a"
    return surname
