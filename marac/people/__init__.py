"""People: victims and perpetrators, matched across referrals."""
