"""Organization mode: the member accounts' CloudFormation template (forward what the detections
match to the security account), the StackSet that deploys it, the security account's
organization bus, and the optional SCP that keeps the forwarding in place."""
