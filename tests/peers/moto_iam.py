"""Prepare a moto server for ECR signature checks, for tests.

usage: moto_iam.py ENDPOINT
With moto's auth still open: create IAM user `ecr-ok` whose policy allows
ecr:GetAuthorizationToken and user `ecr-none` with no policy, each with an
access key; then switch signature and policy checking on (reset-auth 0).
Prints {"ok": [id, secret], "none": [id, secret]} as JSON.
"""
import json
import sys
import urllib.request

import boto3

endpoint = sys.argv[1]
iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint,
                   aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)
policy = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]}
keys = {}
for name, allow in (("ok", True), ("none", False)):
    user = f"ecr-{name}"
    iam.create_user(UserName=user)
    if allow:
        iam.put_user_policy(UserName=user, PolicyName="ecr-token", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    keys[name] = [key["AccessKeyId"], key["SecretAccessKey"]]
request = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
urllib.request.urlopen(request).read()
print(json.dumps(keys))
