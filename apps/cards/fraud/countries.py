"""Countries for the fraud rules: the codes an acquirer sends (DE 19 numeric "076", DE 43's
alpha-2 "BR" or alpha-3 "BRA") normalized to the ISO 3166 numeric code, and a coarse distance
between two countries for the impossible-travel rule.

Data: approximate geographic centres from the CIA World Factbook's "Geographic coordinates"
field (a work of the US government, public domain), rounded to about a tenth of a degree,
for the countries our cardholders travel to most. A country missing here has no distance:
the impossible-travel rule skips it rather than guess. Centres are coarse (Brazil is one
point): the rule subtracts a slack (its `distance_slack_km` parameter) before judging speed.
"""

from __future__ import annotations

import math

# numeric, alpha-2, alpha-3, latitude, longitude (south and west negative)
_TABLE: tuple[tuple[str, str, str, float, float], ...] = (
    ("076", "BR", "BRA", -10.0, -55.0),
    ("032", "AR", "ARG", -34.0, -64.0),
    ("858", "UY", "URY", -33.0, -56.0),
    ("600", "PY", "PRY", -23.0, -58.0),
    ("152", "CL", "CHL", -30.0, -71.0),
    ("068", "BO", "BOL", -17.0, -65.0),
    ("604", "PE", "PER", -10.0, -76.0),
    ("170", "CO", "COL", 4.0, -72.0),
    ("862", "VE", "VEN", 8.0, -66.0),
    ("218", "EC", "ECU", -2.0, -77.5),
    ("328", "GY", "GUY", 5.0, -59.0),
    ("740", "SR", "SUR", 4.0, -56.0),
    ("254", "GF", "GUF", 4.0, -53.0),
    ("591", "PA", "PAN", 9.0, -80.0),
    ("188", "CR", "CRI", 10.0, -84.0),
    ("214", "DO", "DOM", 19.0, -70.7),
    ("192", "CU", "CUB", 21.5, -80.0),
    ("484", "MX", "MEX", 23.0, -102.0),
    ("840", "US", "USA", 38.0, -97.0),
    ("124", "CA", "CAN", 60.0, -95.0),
    ("620", "PT", "PRT", 39.5, -8.0),
    ("724", "ES", "ESP", 40.0, -4.0),
    ("250", "FR", "FRA", 46.0, 2.0),
    ("380", "IT", "ITA", 42.8, 12.8),
    ("276", "DE", "DEU", 51.0, 9.0),
    ("826", "GB", "GBR", 54.0, -2.0),
    ("372", "IE", "IRL", 53.0, -8.0),
    ("528", "NL", "NLD", 52.5, 5.8),
    ("056", "BE", "BEL", 50.8, 4.0),
    ("442", "LU", "LUX", 49.8, 6.2),
    ("756", "CH", "CHE", 47.0, 8.0),
    ("040", "AT", "AUT", 47.3, 13.3),
    ("203", "CZ", "CZE", 49.8, 15.5),
    ("348", "HU", "HUN", 47.0, 20.0),
    ("642", "RO", "ROU", 46.0, 25.0),
    ("616", "PL", "POL", 52.0, 20.0),
    ("752", "SE", "SWE", 62.0, 15.0),
    ("578", "NO", "NOR", 62.0, 10.0),
    ("208", "DK", "DNK", 56.0, 10.0),
    ("246", "FI", "FIN", 64.0, 26.0),
    ("352", "IS", "ISL", 65.0, -18.0),
    ("300", "GR", "GRC", 39.0, 22.0),
    ("792", "TR", "TUR", 39.0, 35.0),
    ("643", "RU", "RUS", 60.0, 100.0),
    ("804", "UA", "UKR", 49.0, 32.0),
    ("376", "IL", "ISR", 31.5, 34.8),
    ("784", "AE", "ARE", 24.0, 54.0),
    ("634", "QA", "QAT", 25.5, 51.3),
    ("682", "SA", "SAU", 25.0, 45.0),
    ("818", "EG", "EGY", 27.0, 30.0),
    ("504", "MA", "MAR", 32.0, -5.0),
    ("566", "NG", "NGA", 10.0, 8.0),
    ("404", "KE", "KEN", 1.0, 38.0),
    ("024", "AO", "AGO", -12.5, 18.5),
    ("508", "MZ", "MOZ", -18.3, 35.0),
    ("710", "ZA", "ZAF", -29.0, 24.0),
    ("132", "CV", "CPV", 16.0, -24.0),
    ("586", "PK", "PAK", 30.0, 70.0),
    ("356", "IN", "IND", 20.0, 77.0),
    ("156", "CN", "CHN", 35.0, 105.0),
    ("344", "HK", "HKG", 22.3, 114.2),
    ("392", "JP", "JPN", 36.0, 138.0),
    ("410", "KR", "KOR", 37.0, 127.5),
    ("704", "VN", "VNM", 16.2, 107.8),
    ("764", "TH", "THA", 15.0, 100.0),
    ("458", "MY", "MYS", 2.5, 112.5),
    ("702", "SG", "SGP", 1.4, 103.8),
    ("360", "ID", "IDN", -5.0, 120.0),
    ("608", "PH", "PHL", 13.0, 122.0),
    ("036", "AU", "AUS", -27.0, 133.0),
    ("554", "NZ", "NZL", -41.0, 174.0),
)

HOME = "076"
_CODES: dict[str, str] = {}
_CENTRES: dict[str, tuple[float, float]] = {}
for _numeric, _a2, _a3, _lat, _lon in _TABLE:
    _CODES[_numeric] = _CODES[_a2] = _CODES[_a3] = _numeric
    _CENTRES[_numeric] = (_lat, _lon)

EARTH_RADIUS_KM = 6371.0


def normalize(code: str) -> str:
    """ "076", "BR", "BRA" -> "076"; an empty code is home (the acquirer left DE 19 out);
    an unknown code is kept as sent (upper case), so it still counts as a country."""
    code = (code or "").strip().upper()
    if not code:
        return HOME
    if code.isdigit():
        return code.zfill(3)[-3:]
    return _CODES.get(code, code)


def distance_km(a: str, b: str) -> float | None:
    """Great-circle distance between two countries' centres; None when one is unknown."""
    a, b = normalize(a), normalize(b)
    if a == b:
        return 0.0
    if a not in _CENTRES or b not in _CENTRES:
        return None
    (lat1, lon1), (lat2, lon2) = _CENTRES[a], _CENTRES[b]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def known() -> list[str]:
    return sorted(_CENTRES)
