"""What a customer reads about a card authorization: the response code in words and the
merchant's category (MCC) by name, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.cards.services.authorize import MCC_GROUPS

# DE 39 -> what the customer reads.
RESPONSE_TEXTS = {
    "00": _("Approved"),
    "05": _("Declined by the bank"),
    "14": _("Card not valid"),
    "25": _("Original purchase not found"),
    "51": _("Declined: not enough balance"),
    "54": _("Declined: card expired"),
    "55": _("Declined: wrong PIN"),
    "57": _("Declined by the card's controls"),
    "59": _("Declined: suspected fraud"),
    "61": _("Declined: above the card's limit"),
    "62": _("Declined: card blocked"),
    "75": _("Declined: too many wrong PINs"),
    "91": _("Bank unavailable: try again"),
    "N7": _("Declined: wrong security code (CVV)"),
}

MCC_GROUP_LABELS = {
    "gambling": _("Betting and gambling"),
    "crypto": _("Crypto assets and quasi-cash"),
    "adult": _("Adult content"),
    "travel": _("Travel: airlines, hotels, car rental"),
    "fuel": _("Fuel"),
    "restaurants": _("Restaurants and bars"),
    "transport": _("Transport"),
}

MCC_LABELS = {
    "3000": _("Airline"),
    "4111": _("Public transport"),
    "4121": _("Taxis and ride-hailing"),
    "4131": _("Bus lines"),
    "4511": _("Airline"),
    "4722": _("Travel agency"),
    "4789": _("Transport"),
    "4812": _("Phones and telecom"),
    "4814": _("Phones and telecom"),
    "4899": _("Cable and streaming"),
    "4900": _("Utilities"),
    "5200": _("Home improvement"),
    "5311": _("Department store"),
    "5399": _("General store"),
    "5411": _("Supermarket"),
    "5441": _("Sweets"),
    "5462": _("Bakery"),
    "5499": _("Food store"),
    "5541": _("Fuel station"),
    "5542": _("Fuel station"),
    "5651": _("Clothing"),
    "5691": _("Clothing"),
    "5732": _("Electronics"),
    "5812": _("Restaurant"),
    "5813": _("Bar"),
    "5814": _("Fast food"),
    "5815": _("Digital goods"),
    "5816": _("Digital games"),
    "5817": _("Apps and software"),
    "5912": _("Pharmacy"),
    "5942": _("Bookstore"),
    "5967": _("Adult content"),
    "5977": _("Cosmetics"),
    "5983": _("Fuel dealer"),
    "5999": _("Shop"),
    "6051": _("Crypto assets and quasi-cash"),
    "7011": _("Hotel"),
    "7273": _("Dating services"),
    "7372": _("Software and IT services"),
    "7512": _("Car rental"),
    "7800": _("Lottery"),
    "7801": _("Online gambling"),
    "7802": _("Horse racing"),
    "7832": _("Cinema"),
    "7995": _("Betting"),
    "8011": _("Doctor"),
    "8021": _("Dentist"),
    "8062": _("Hospital"),
    "8220": _("University"),
    "8299": _("School and courses"),
}


def response_text(code: str) -> str:
    text = RESPONSE_TEXTS.get(code)
    if text is not None:
        return str(text)
    return gettext("Declined (code %(code)s)") % {"code": code or "-"}


def mcc_label(mcc: str) -> str:
    label = MCC_LABELS.get(mcc)
    if label is not None:
        return str(label)
    for group, codes in MCC_GROUPS.items():
        if mcc in codes:
            return str(MCC_GROUP_LABELS[group])
    return gettext("Other")


def expiry_display(expiry: str) -> str:
    """YYMM (how the card stores it) -> MM/YY (how it is printed on the card)."""
    return f"{expiry[2:]}/{expiry[:2]}" if len(expiry) == 4 else expiry


# States as the customer reads them (a card is "ativo", a purchase "aprovada").
CARD_STATE_LABELS = {
    "requested": pgettext_lazy("card state", "requested"),
    "active": pgettext_lazy("card state", "active"),
    "blocked": pgettext_lazy("card state", "blocked"),
    "cancelled": pgettext_lazy("card state", "cancelled"),
    "lost": pgettext_lazy("card state", "lost"),
    "stolen": pgettext_lazy("card state", "stolen"),
}
PURCHASE_STATE_LABELS = {
    "approved": pgettext_lazy("card purchase", "approved"),
    "declined": pgettext_lazy("card purchase", "declined"),
    "reversed": pgettext_lazy("card purchase", "reversed"),
    "captured": pgettext_lazy("card purchase", "captured"),
    "expired": pgettext_lazy("card purchase", "expired"),
}


def card_state_label(state: str) -> str:
    return str(CARD_STATE_LABELS.get(state, state))


def purchase_state_label(state: str) -> str:
    return str(PURCHASE_STATE_LABELS.get(state, state))
