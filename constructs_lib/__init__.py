"""The app's parts, one folder per concern; a stack (stacks/) composes them for one region.

- ``detections``: what to catch, as data (the Sigma rule files, the catalog built from them,
  outcomes, suppressions, ATT&CK); no AWS resources.
- ``eventbridge``: the EventBridge engine, the catalog's entries as rules with their alert
  messages, and central delivery's forwarding to the home bus.
- ``metric_filters``: the metric-filter engine, the trail's log group and a filter and alarm per
  detection.
- ``delivery``: where alerts go and what proves they got there: topics, the dead-letter queue,
  the delivery alarms.
- ``chat``: Slack and Microsoft Teams channels and the message they show.
- ``trail``: the multi-region trail and the buckets that keep its logs.
- ``organization``: organization mode, the members' forwarding through a StackSet, the
  security account's bus, the guard on the forwarding.
- ``foundation``: what every stack stands on: the region's provider and account, the KMS key,
  the shapes of service grants, resources written as Terraform JSON.

No module here imports the configuration (config.py): constructs take plain values, or a small
type their folder owns (``delivery.Subscription``, ``chat.ChatChannel``,
``trail.bucket_settings.ObjectLock``).
"""
