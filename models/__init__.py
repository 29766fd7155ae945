"""Models of the systems our output runs on, each stating its rules from the vendor's documents,
cited, and tested on their examples before it judges anything of ours:

- ``terraform``: how Terraform reads a string of the JSON we write (``${``, ``%{``).
- ``limits``: every AWS limit the synthesized output must respect.
- ``event_patterns``: how EventBridge matches an event pattern (make replay's matcher).
- ``eventbridge_templates``: how EventBridge fills an input transformer's template.
- ``cloudwatch_logs_filters``: how CloudWatch Logs matches a JSON filter pattern.
- ``cloudtrail_records``: a CloudTrail record as EventBridge delivers it, and where.
- ``chat_notifications``: what AWS's chat integration accepts as a custom notification.
- ``stable_json``: cdktf's layout of cdk.tf.json.

Plain Python, no cdktf: constructs, configuration, operator commands, scripts and tests all
import it.
"""
