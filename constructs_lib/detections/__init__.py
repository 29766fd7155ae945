"""Detections as Sigma rules: the catalog's rule files, and how one rule becomes this project's
two alert engines' matchers.

``rules/`` holds one Sigma rule file per detection with its test events; ``sigma_backend``
translates a Sigma rule (logsource aws/cloudtrail, or aws/eventbridge for events put on the bus)
into an EventBridge event pattern and a CloudWatch Logs metric-filter pattern, or a one-line
refusal per engine where an engine cannot express the rule exactly; ``rule_files`` reads rule
files (the catalog's and sigmaRules') into the data each ``catalog.Detection`` is made of, cached
by content so that a synthesis with unchanged rules imports no pySigma. It owns no AWS resources.
"""
