"""Sign-in, sign-out, registration by cohort invite, password change and reset."""
