"""What to catch, as data: no AWS resources here.

``rules/`` holds one Sigma rule file per detection with its test events beside it
(``<id>.events.json``); ``sigma_backend`` translates a Sigma rule (logsource aws/cloudtrail, or
aws/eventbridge for events put on the bus) into an EventBridge event pattern and a CloudWatch
Logs metric-filter pattern, or a one-line refusal per engine where an engine cannot express the
rule exactly; ``rule_files`` reads rule files (the catalog's and sigmaRules') into the data each
``catalog.Detection`` is made of, cached by content so that a synthesis with unchanged rules
imports no pySigma. ``catalog`` is the detections' type and the catalog; ``outcomes`` splits a
detection into one rule per outcome (succeeded, refused); ``suppressions`` are the events a
detection deliberately does not alert on; ``attack`` names the ATT&CK and Stratus Red Team
techniques the catalog's tags refer to.
"""
