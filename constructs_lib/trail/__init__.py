"""The audit trail: the multi-region CloudTrail trail, the hardened bucket it writes to, that
bucket's access-log bucket, and how long they keep what they hold (``bucket_settings``); and,
optionally, the bucket's Athena table (``trail_table``, its shape in models.cloudtrail_table)."""
