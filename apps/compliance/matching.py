"""Fuzzy name matching for sanctions screening, free of Django.

Both sides go through the same `normalize` (transliterate, lower, drop punctuation,
honorifics, particles and legal forms). Two names are compared token by token: each query
word is paired with its most similar listed word (Jaro-Winkler; equal consonant skeletons
count as one word in two transliterations, "Mohammed"/"Muhammad", "Yusuf"/"Youssef"), and the
two names written in that order are compared by edit distance, so word order does not matter,
a typo costs in proportion to the name's length and a missing word costs its length. A short
form ("Oleg Deripaska") is tolerated when a word of it is rare in the lists; a listed name made
only of common words ("RODRIGUEZ, Antonio") must be spelt nearly exactly. Birth year and
country adjust the score when both sides know them.

Speed comes from `NameIndex`: blocking keys per word (skeleton, first and last three letters)
point at the names holding them; a query compares only the names sharing keys with most of
its words, after a cheap token-set ratio in C has discarded the hopeless ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler
from unidecode import unidecode

HONORIFICS = frozenset((
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "sr", "sra", "srta", "dona", "dom",
    "sheikh", "shaikh", "sheik", "haji", "hajji", "hadji", "mullah", "maulana", "mawlana",
    "general", "gen", "colonel", "col", "captain", "capt", "major", "lt",
))  # fmt: skip
PARTICLES = frozenset((
    "de", "da", "do", "das", "dos", "e", "del", "della", "di", "du", "la", "le", "van",
    "von", "der", "den", "y", "bin", "ibn", "bint", "ben", "al", "el", "ul", "abu",
))  # fmt: skip
LEGAL_FORMS = frozenset((
    "ltd", "ltda", "llc", "inc", "co", "corp", "sa", "s", "a", "ag", "gmbh", "plc", "pjsc",
    "ojsc", "cjsc", "jsc", "oao", "zao", "ooo", "fzco", "fze", "me", "mei", "eireli", "epp",
))  # fmt: skip
DROPPED = HONORIFICS | PARTICLES | LEGAL_FORMS

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_VOWELS = re.compile(r"[aeiouyw]")
_REPEATS = re.compile(r"(.)\1+")
# Transliteration variants that sound alike: "kh"/"h", "ph"/"f", "q"/"k", "z"/"s"...
_DIGRAPHS = (("kh", "h"), ("ph", "f"), ("th", "t"), ("dh", "d"), ("gh", "g"), ("sh", "s"))
PAIR_MIN = 0.8  # Jaro-Winkler below this: two different words
TRANSLITERATION_COST = 2.0
OMITTED_COST = 3.0
RARE = 3  # a long word held by at most this many listed names identifies someone
COMMON_STRICTNESS = 1.5
COMMON = 15  # a listed name whose every word is held by this many names says little
PREFILTER = 60  # token-set ratio a candidate needs before the full comparison
_LETTERS = str.maketrans({"q": "k", "c": "k", "z": "s", "j": "g", "v": "f", "x": "s"})


def normalize(name: str) -> str:
    """The comparable form of a name: ASCII, lower case, words only, no honorifics, particles
    or legal forms. Idempotent, and total: any string gives a string."""
    if not name:
        return ""
    text = unidecode(unicodedata.normalize("NFKC", str(name))).lower()
    tokens = [t for t in _NON_ALNUM.sub(" ", text).split() if t not in DROPPED]
    return " ".join(tokens)


def tokens_of(normalized: str) -> tuple[str, ...]:
    return tuple(normalized.split())


def skeleton(token: str) -> str:
    """A consonant skeleton tolerant to transliteration: first letter kept, vowels dropped
    after it, look-alike consonants merged, doubles collapsed."""
    if not token:
        return ""
    for digraph, letter in _DIGRAPHS:
        token = token.replace(digraph, letter)
    token = token.translate(_LETTERS)
    head, tail = token[0], _VOWELS.sub("", token[1:])
    if head in "aeiouy":
        head = "a"  # Osama/Usama, Yusuf/Iusuf
    return _REPEATS.sub(r"\1", head + tail)


def token_keys(token: str) -> set[str]:
    keys = {"k:" + skeleton(token)}
    if len(token) >= 4:
        keys.add("p:" + token[:3])
        keys.add("s:" + token[-3:])
    else:
        keys.add("t:" + token)
    return keys


def name_score(
    q_tokens: tuple[str, ...],
    q_skel: tuple[str, ...],
    c_tokens: tuple[str, ...],
    c_skel: tuple[str, ...],
    *,
    omission_ok: bool = False,
) -> float:
    """0-100, order-free: pair each query token with its most similar listed token
    (Jaro-Winkler; equal skeletons of 3+ consonants count as a transliteration), write both
    names in that order with the unpaired tokens last, and compare the two strings by edit
    distance (rapidfuzz's ratio): a typo costs in proportion to the name's length, a missing
    or extra word costs its length."""
    if not q_tokens or not c_tokens:
        return 0.0
    pairs = []
    for i, (token, skel) in enumerate(zip(q_tokens, q_skel, strict=True)):
        for j, (other, oskel) in enumerate(zip(c_tokens, c_skel, strict=True)):
            if token == other:
                sim = 1.0
            else:
                sim = JaroWinkler.normalized_similarity(token, other)
                if skel == oskel and len(skel) >= 3:
                    sim = max(sim, 0.97)
            if sim >= PAIR_MIN:
                pairs.append((sim, i, j))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    q_parts: list[str] = []
    c_parts: list[str] = []
    penalty = 0.0
    for _sim, i, j in pairs:
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        token, other = q_tokens[i], c_tokens[j]
        if token != other and q_skel[i] == c_skel[j] and len(q_skel[i]) >= 3:
            # Same word in another transliteration: compare as equal, at a small cost.
            token = other
            penalty += TRANSLITERATION_COST
        q_parts.append(token)
        c_parts.append(other)
    omitted = len(c_tokens) - len(used_c)
    short_form = 0.0
    if omission_ok and omitted and len(used_q) == len(q_tokens) >= 2:
        # "Oleg Deripaska" for "DERIPASKA, Oleg Vladimirovich": every word given matches and
        # one of them is rare in the lists; each listed word left out costs a little.
        short_form = fuzz.ratio(" ".join(q_parts), " ".join(c_parts)) - OMITTED_COST * omitted
    q_parts.extend(t for i, t in enumerate(q_tokens) if i not in used_q)
    c_parts.extend(t for j, t in enumerate(c_tokens) if j not in used_c)
    full = fuzz.ratio(" ".join(q_parts), " ".join(c_parts))
    return max(0.0, max(full, short_form) - penalty)


def adjust(
    score: float,
    *,
    q_year: int | None,
    years: frozenset,
    q_country: str | None,
    countries: frozenset,
) -> float:
    """Birth year and nationality move the score when both sides know them."""
    if q_year and years:
        if q_year in years:
            score += 5
        elif any(abs(q_year - y) <= 1 for y in years):
            score += 1
        else:
            score -= 12
    if q_country and countries:
        score += 3 if q_country in countries else -6
    return max(0.0, min(100.0, score))


@dataclass(frozen=True)
class IndexedName:
    ref: int  # position of the entry in NameIndex.entries
    name: str
    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]
    sorted_text: str


@dataclass(frozen=True)
class IndexedEntry:
    source: str
    entry_id: str
    primary_name: str
    pk: int | None = None  # ListEntry pk
    watchlist_pk: int | None = None
    years: frozenset = frozenset()
    countries: frozenset = frozenset()


@dataclass
class Candidate:
    entry: IndexedEntry
    matched_name: str
    score: float


@dataclass
class NameIndex:
    entries: list[IndexedEntry] = field(default_factory=list)
    names: list[IndexedName] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    max_candidates: int = 400

    def add(self, entry: IndexedEntry, names: Iterable[str]) -> None:
        ref = len(self.entries)
        self.entries.append(entry)
        seen = set()
        for raw in names:
            norm = normalize(raw)
            if not norm or norm in seen:
                continue
            seen.add(norm)
            toks = tokens_of(norm)
            idx = len(self.names)
            skels = tuple(skeleton(t) for t in toks)
            self.names.append(IndexedName(ref, raw, toks, skels, " ".join(sorted(toks))))
            keys = set()
            for t in toks:
                keys |= token_keys(t)
            for key in keys:
                self.postings[key].append(idx)

    def _is_common(self, indexed: IndexedName) -> bool:
        postings = self.postings
        return all(len(postings.get("k:" + sk, ())) >= COMMON for sk in indexed.skeletons)

    def __len__(self) -> int:
        return len(self.entries)

    def search(
        self,
        name: str,
        *,
        threshold: float,
        birth_year: int | None = None,
        country: str | None = None,
    ) -> list[Candidate]:
        norm = normalize(name)
        q_tokens = tokens_of(norm)
        if not q_tokens:
            return []
        q_skel = tuple(skeleton(t) for t in q_tokens)
        # Count, per indexed name, how many query tokens share a key with it.
        hits: dict[int, int] = defaultdict(int)
        for token in set(q_tokens):
            found: set[int] = set()
            for key in token_keys(token):
                posting = self.postings.get(key)
                if posting:
                    found.update(posting)
            for idx in found:
                hits[idx] += 1
        if not hits:
            return []
        needed = 1 if len(q_tokens) <= 2 else len(set(q_tokens)) - 1
        pool = [idx for idx, n in hits.items() if n >= needed]
        if len(pool) > self.max_candidates:
            pool.sort(key=lambda i: -hits[i])
            pool = pool[: self.max_candidates]
        omission_ok = len(q_tokens) >= 2 and any(
            len(t) >= 7 and len(self.postings.get("k:" + sk, ())) <= RARE
            for t, sk in zip(q_tokens, q_skel, strict=True)
        )
        # A cheap order-free comparison in C first; the token alignment only for survivors.
        q_sorted = " ".join(sorted(q_tokens))
        names = self.names
        survivors = process.extract(
            q_sorted,
            [names[i].sorted_text for i in pool],
            scorer=fuzz.token_set_ratio,
            score_cutoff=PREFILTER,
            limit=None,
        )
        # Adjustments can add at most 8 points: skip names that cannot reach the threshold.
        floor = threshold - 8
        best: dict[int, Candidate] = {}
        for _text, _pre, position in survivors:
            indexed = names[pool[position]]
            score = name_score(
                q_tokens, q_skel, indexed.tokens, indexed.skeletons, omission_ok=omission_ok
            )
            if score < 100 and self._is_common(indexed):
                # "RODRIGUEZ, Antonio" is half of Latin America: only a near-exact spelling
                # of such a name is worth an alert (birth date and country do the rest).
                score = 100 - COMMON_STRICTNESS * (100 - score)
            if score < floor:
                continue
            entry = self.entries[indexed.ref]
            score = adjust(
                score,
                q_year=birth_year,
                years=entry.years,
                q_country=country,
                countries=entry.countries,
            )
            if score < threshold:
                continue
            current = best.get(indexed.ref)
            if current is None or score > current.score:
                best[indexed.ref] = Candidate(entry, indexed.name, score)
        return sorted(best.values(), key=lambda c: (-c.score, c.entry.source, c.entry.entry_id))
