"""Electronic licences (电子证照): the kinds the hub knows and how it verifies one it is given."""
