"""What every stack stands on: the region's aliased AWS provider and the account behind it, the
customer managed KMS key, the shapes of every service grant, and resources declared once and
written as Terraform JSON (``resources``)."""
