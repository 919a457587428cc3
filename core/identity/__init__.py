"""Identity for the site group: accounts (个人 / 法人), an OpenID Connect provider, roles and sessions."""
