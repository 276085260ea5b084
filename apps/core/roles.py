"""Staff and customer roles as Django groups (least privilege). Keycloak realm roles carry
the same names; apps/core/oidc.py maps them onto these groups at each staff sign-in."""

CUSTOMER = "customer"
OPERATOR = "operator"
COMPLIANCE_OFFICER = "compliance_officer"
ADMIN = "admin"

STAFF_ROLES = (OPERATOR, COMPLIANCE_OFFICER, ADMIN)
ALL_ROLES = (CUSTOMER, *STAFF_ROLES)
