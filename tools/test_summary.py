#!/usr/bin/env python3
"""Prints one line "N passed, N failed" from Bazel's own results.

Reads a Build Event Protocol JSON file (bazel test --build_event_json_file)
and every test.xml it names; counts test cases. A test target that has no
result at all (it failed to build, or the run was cut short) counts as one
failed test. Usage: test_summary.py BAZEL_EXIT_CODE BEP_JSON [TEST_LABEL...]
A non-zero Bazel exit code with no failed test counts as one failure.
Exits 1 if anything failed, 2 on bad input.
"""
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def count_xml(path):
    """Returns (passed, failed) for one test.xml, or None if unreadable."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    passed = failed = 0
    for suite in suites:
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.get("status") in ("notrun",) or case.find("skipped") is not None:
                continue
            else:
                passed += 1
        # Bazel's own test.xml for a crashed binary has no failing <testcase>
        # but counts the error on the suite.
        if not any(True for _ in suite.iter("testcase")):
            errs = int(suite.get("errors", "0") or 0) + int(suite.get("failures", "0") or 0)
            failed += errs
    return passed, failed


def main(argv):
    if len(argv) < 3 or not argv[1].lstrip("-").isdigit():
        print("usage: test_summary.py BAZEL_EXIT_CODE BEP_JSON [TEST_LABEL...]",
              file=sys.stderr)
        return 2
    bazel_rc = int(argv[1])
    argv = argv[1:]
    results = {}  # label -> list of (status, xml path)
    try:
        with open(argv[1], encoding="utf-8") as bep:
            for line in bep:
                line = line.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a cut-short file may end mid-line
                tr = event.get("id", {}).get("testResult")
                if not tr:
                    continue
                status = event.get("testResult", {}).get("status", "NO_STATUS")
                xml = None
                for out in event.get("testResult", {}).get("testActionOutput", []):
                    if out.get("name") == "test.xml":
                        xml = urllib.parse.unquote(urllib.parse.urlparse(out["uri"]).path)
                results.setdefault(tr["label"], []).append((status, xml))
    except OSError as e:
        print(f"test_summary: cannot read {argv[1]}: {e}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1

    passed = failed = 0
    for label in set(argv[2:]) - set(results):
        print(f"test_summary: {label}: no result (did not build or did not run)", file=sys.stderr)
        failed += 1
    for label, runs in sorted(results.items()):
        for status, xml in runs:
            counted = count_xml(xml) if xml else None
            if counted is None:
                counted = (1, 0) if status == "PASSED" else (0, 1)
            p, f = counted
            if status != "PASSED" and f == 0:
                f = 1  # the binary failed outside any test case (crash, timeout)
            if f:
                print(f"test_summary: {label}: {status}", file=sys.stderr)
            passed += p
            failed += f
    if bazel_rc != 0 and failed == 0:
        print(f"test_summary: bazel test exited with {bazel_rc}", file=sys.stderr)
        failed = 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
