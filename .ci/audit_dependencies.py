#!/usr/bin/env python3
"""Check the pinned requirements against known vulnerabilities (pip-audit), where the vulnerability
database can be reached; `make test` runs it.

Exit 1 on a finding that is not listed in JUSTIFIED with its reason. When the database cannot be
reached (no network, or an index that is a mirror without PyPI's JSON API), say so and exit 0:
the check then runs wherever the suite has the network, CI included.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Vulnerability id -> why it does not apply here. Empty: nothing is waived.
JUSTIFIED: dict[str, str] = {}
# What pip-audit's output says when it cannot reach the database at all.
UNREACHABLE = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "timed out",
               "Temporary failure in name resolution")


def main() -> int:
    command = [os.path.join(os.path.dirname(sys.executable), "pip-audit"),
               "--requirement", os.path.join(ROOT, "requirements.txt"),
               "--requirement", os.path.join(ROOT, "requirements-dev.txt"), "--no-deps", "--disable-pip", "--format", "json",
               "--progress-spinner", "off"]
    for vulnerability in JUSTIFIED:
        command += ["--ignore-vuln", vulnerability]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603 (our own command)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        # Only an unreachable database is a reason to skip; any other failure fails the check.
        if any(sign in result.stderr for sign in UNREACHABLE):
            print("pip-audit: skipped, the vulnerability database could not be reached here.")
            return 0
        print(result.stdout + result.stderr)
        print("pip-audit: failed to run.")
        return 1
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        print("pip-audit: skipped, the vulnerability database knows none of the packages here "
              "(an index without PyPI's vulnerability data).")
        return 0
    findings = [(d["name"], d["version"], v["id"]) for d in audited for v in d.get("vulns", [])]
    for name, version, vulnerability in findings:
        print(f"pip-audit: {name} {version} has {vulnerability}")
    print(f"pip-audit: {len(audited)} of {len(dependencies)} pinned packages checked, {len(findings)} finding(s).")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
