#!/usr/bin/env python3
"""Writes a YAML file with the first N rules of the providers the core issue
named (validators.md sections 3 and 5), to measure the matcher with a small
ruleset against the full one: subset_rules.py N OUT.yaml"""
import os
import sys

import yaml

CORE = ["aws", "github", "gitlab", "slack", "stripe", "gcp", "telegram", "discord",
        "openai", "anthropic", "huggingface", "pypi", "npm", "twilio", "sendgrid", "mailgun",
        "mailchimp", "heroku", "digitalocean", "azure", "database", "private-key", "jwt",
        "shopify", "square", "datadog", "newrelic", "sentry", "atlassian", "dropbox",
        "cloudflare", "generic"]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rules")
    rules = []
    for name in CORE:
        path = os.path.join(root, name + ".yaml")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                rules += [r for r in yaml.safe_load(f)["rules"] if "parts" not in r]
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"rules": rules[:n]}, f, allow_unicode=True)
    print(len(rules[:n]))


if __name__ == "__main__":
    main()
