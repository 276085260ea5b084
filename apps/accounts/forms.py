"""Customer sign-up fields added to allauth's form (filled in by the portal work)."""

from django import forms


class CustomerSignupForm(forms.Form):
    def signup(self, request, user):
        pass
