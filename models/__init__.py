"""Models of what our output runs on: how Terraform reads the JSON we write, and the limits AWS
puts on it. Each states its rules from the vendor's documents, cited where stated, and is tested
on their examples before it judges anything of ours. Plain Python, no cdktf: constructs,
configuration, operator commands and tests all import it.
"""
