"""Detections as Sigma rules: how one rule becomes this project's two alert engines' matchers.

This package owns the translation of a Sigma rule (logsource aws/cloudtrail) into an EventBridge
event pattern and a CloudWatch Logs metric-filter pattern, or a one-line refusal per engine where
an engine cannot express the rule exactly (``sigma_backend``). It owns no AWS resources: the
catalog and the constructs stay where they are, and nothing here is imported during synthesis
yet (importing pySigma costs about a second; see the README's "Sigma rules" section).
"""
