"""Country names as the lists write them, and ISO 3166 alpha-2 codes for the API.

The lists name countries in English prose ("Iran", "Democratic Republic of the Congo",
"Russia"); a caller may send "IR" or "Irã". Everything is reduced to one lower-case ASCII
key. Codes not in this table are ignored (no adjustment), never an error.
"""

from __future__ import annotations

import re

from unidecode import unidecode

ALPHA2 = {
    "AF": "afghanistan", "AL": "albania", "DZ": "algeria", "AO": "angola", "AR": "argentina",
    "AM": "armenia", "AU": "australia", "AT": "austria", "AZ": "azerbaijan", "BH": "bahrain",
    "BD": "bangladesh", "BY": "belarus", "BE": "belgium", "BZ": "belize", "BO": "bolivia",
    "BA": "bosnia and herzegovina", "BR": "brazil", "BG": "bulgaria", "BF": "burkina faso",
    "BI": "burundi", "KH": "cambodia", "CM": "cameroon", "CA": "canada",
    "CF": "central african republic", "TD": "chad", "CL": "chile", "CN": "china",
    "CO": "colombia", "CD": "congo democratic republic", "CG": "congo", "CR": "costa rica",
    "HR": "croatia", "CU": "cuba", "CY": "cyprus", "CZ": "czech republic", "DK": "denmark",
    "DO": "dominican republic", "EC": "ecuador", "EG": "egypt", "SV": "el salvador",
    "ER": "eritrea", "EE": "estonia", "ET": "ethiopia", "FI": "finland", "FR": "france",
    "GE": "georgia", "DE": "germany", "GH": "ghana", "GR": "greece", "GT": "guatemala",
    "GN": "guinea", "GW": "guinea bissau", "HT": "haiti", "HN": "honduras", "HK": "hong kong",
    "HU": "hungary", "IN": "india", "ID": "indonesia", "IR": "iran", "IQ": "iraq",
    "IE": "ireland", "IL": "israel", "IT": "italy", "JM": "jamaica", "JP": "japan",
    "JO": "jordan", "KZ": "kazakhstan", "KE": "kenya", "KP": "north korea",
    "KR": "south korea", "KW": "kuwait", "KG": "kyrgyzstan", "LA": "laos", "LV": "latvia",
    "LB": "lebanon", "LR": "liberia", "LY": "libya", "LT": "lithuania", "LU": "luxembourg",
    "MY": "malaysia", "MV": "maldives", "ML": "mali", "MT": "malta", "MR": "mauritania",
    "MX": "mexico", "MD": "moldova", "MN": "mongolia", "ME": "montenegro", "MA": "morocco",
    "MZ": "mozambique", "MM": "burma", "NP": "nepal", "NL": "netherlands",
    "NZ": "new zealand", "NI": "nicaragua", "NE": "niger", "NG": "nigeria", "NO": "norway",
    "OM": "oman", "PK": "pakistan", "PS": "palestinian", "PA": "panama", "PY": "paraguay",
    "PE": "peru", "PH": "philippines", "PL": "poland", "PT": "portugal", "QA": "qatar",
    "RO": "romania", "RU": "russia", "RW": "rwanda", "SA": "saudi arabia", "SN": "senegal",
    "RS": "serbia", "SL": "sierra leone", "SG": "singapore", "SK": "slovakia",
    "SI": "slovenia", "SO": "somalia", "ZA": "south africa", "SS": "south sudan",
    "ES": "spain", "LK": "sri lanka", "SD": "sudan", "SE": "sweden", "CH": "switzerland",
    "SY": "syria", "TW": "taiwan", "TJ": "tajikistan", "TZ": "tanzania", "TH": "thailand",
    "TN": "tunisia", "TR": "turkey", "TM": "turkmenistan", "UG": "uganda", "UA": "ukraine",
    "AE": "united arab emirates", "GB": "united kingdom", "US": "united states",
    "UY": "uruguay", "UZ": "uzbekistan", "VE": "venezuela", "VN": "vietnam", "YE": "yemen",
    "ZM": "zambia", "ZW": "zimbabwe",
}  # fmt: skip

# Long official forms and Portuguese names, reduced to the keys above.
ALIASES = {
    "iran islamic republic of": "iran",
    "islamic republic of iran": "iran",
    "russian federation": "russia",
    "syrian arab republic": "syria",
    "democratic republic of the congo": "congo democratic republic",
    "congo democratic republic of the": "congo democratic republic",
    "democratic people s republic of korea": "north korea",
    "korea north": "north korea",
    "republic of korea": "south korea",
    "korea south": "south korea",
    "myanmar": "burma",
    "united kingdom of great britain and northern ireland": "united kingdom",
    "united states of america": "united states",
    "usa": "united states",
    "uk": "united kingdom",
    "viet nam": "vietnam",
    "turkiye": "turkey",
    "lao people s democratic republic": "laos",
    "state of palestine": "palestinian",
    "brasil": "brazil",
    "ira": "iran",
    "russia federacao": "russia",
    "russia federation": "russia",
    "siria": "syria",
    "iraque": "iraq",
    "afeganistao": "afghanistan",
    "libia": "libya",
    "venezuela republica bolivariana": "venezuela",
    "venezuela bolivarian republic of": "venezuela",
    "estados unidos": "united states",
    "coreia do norte": "north korea",
    "reino unido": "united kingdom",
    "alemanha": "germany",
    "espanha": "spain",
    "franca": "france",
    "italia": "italy",
    "china people s republic of": "china",
}


def country_key(value: str | None) -> str | None:
    """One comparable key for a country written any way, or None when there is none."""
    if not value:
        return None
    raw = str(value).strip()
    if len(raw) == 2 and raw.isalpha():
        return ALPHA2.get(raw.upper())
    key = re.sub(r"[^a-z]+", " ", unidecode(raw).lower()).strip()
    if not key:
        return None
    return ALIASES.get(key, key)


def is_known_code(value: str) -> bool:
    return len(value) == 2 and value.upper() in ALPHA2
