#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A strict checker of the Prometheus text exposition format (0.0.4), as
node_exporter's textfile collector reads it, plus wsid's naming rules.

    promparse.py FILE|-            exit 0 when valid, else 1 with "line N: what"
    promparse.py --dump FILE|-     prints "series value" per sample, sorted
    promparse.py --selftest        checks the checker on good and bad inputs

Rules: every sample belongs to a family declared by a TYPE line that comes
before it; one TYPE and at most one HELP per family, and a family's lines are
contiguous; metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
[a-zA-Z_][a-zA-Z0-9_]* (not __*); label values are double-quoted with only
\\\\, \\" and \\n escapes; values are Go floats (NaN, +Inf, -Inf); no
timestamps (the textfile collector refuses them); counters end in _total and
are not negative; summaries have only _sum, _count and quantile samples;
histograms _bucket (with le), _sum and _count; no series twice; the text ends
in a newline."""
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
TYPES = ("counter", "gauge", "summary", "histogram", "untyped")


class Error(Exception):
    pass


def parse_labels(s, i, lineno):
    """parses {a="x",b="y"} from s[i] == '{'; returns (labels, index after)"""
    labels = []
    i += 1
    while True:
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise Error("line %d: bad label name at column %d" % (lineno, i + 1))
        name = m.group(0)
        if name.startswith("__"):
            raise Error("line %d: label name %s is reserved" % (lineno, name))
        i = m.end()
        if s[i:i + 2] != '="':
            raise Error("line %d: expected =\" after label %s" % (lineno, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Error("line %d: unterminated label value" % lineno)
            c = s[i]
            if c == "\\":
                n = s[i + 1:i + 2]
                if n not in ("\\", '"', "n"):
                    raise Error("line %d: bad escape \\%s in a label value" % (lineno, n))
                val.append({"\\": "\\", '"': '"', "n": "\n"}[n])
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                raise Error("line %d: raw newline in a label value" % lineno)
            val.append(c)
            i += 1
        if name in (l[0] for l in labels):
            raise Error("line %d: label %s twice" % (lineno, name))
        labels.append((name, "".join(val)))
        if i < len(s) and s[i] == ",":
            i += 1
            continue
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        raise Error("line %d: expected , or } after a label" % lineno)


def family_of(name, types):
    """the declared family a sample name belongs to, and its suffix"""
    if name in types and types[name] in ("counter", "gauge", "untyped"):
        return name, ""
    for suf in ("_sum", "_count", "_bucket"):
        base = name[:-len(suf)]
        if name.endswith(suf) and types.get(base) in ("summary", "histogram"):
            if suf == "_bucket" and types[base] != "histogram":
                break
            return base, suf
    if types.get(name) in ("summary", "histogram"):
        return name, ""
    return None, None


def parse(text):
    """returns {(name, labels tuple): value}; raises Error"""
    if text and not text.endswith("\n"):
        raise Error("the text does not end in a newline")
    types, helps, samples, done = {}, set(), {}, set()
    current = None
    for lineno, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3 or not NAME.fullmatch(parts[2]):
                    raise Error("line %d: %s without a valid metric name" % (lineno, parts[1]))
                name = parts[2]
                if name in done and name != current:
                    raise Error("line %d: family %s is not contiguous" % (lineno, name))
                if current is not None and current != name:
                    done.add(current)
                current = name
                if parts[1] == "HELP":
                    if name in helps:
                        raise Error("line %d: a second HELP for %s" % (lineno, name))
                    helps.add(name)
                    h = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]", h.replace("\\\\", "")):
                        raise Error("line %d: bad escape in HELP of %s" % (lineno, name))
                else:
                    if name in types:
                        raise Error("line %d: a second TYPE for %s" % (lineno, name))
                    t = parts[3].strip() if len(parts) > 3 else ""
                    if t not in TYPES:
                        raise Error("line %d: unknown type '%s'" % (lineno, t))
                    types[name] = t
            continue
        m = NAME.match(line)
        if not m:
            raise Error("line %d: a sample must start with a metric name" % lineno)
        name = m.group(0)
        i = m.end()
        labels = []
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, lineno)
        rest = line[i:]
        if not rest.startswith(" "):
            raise Error("line %d: expected a space before the value" % lineno)
        fields = rest.split()
        if len(fields) != 1:
            raise Error("line %d: expected one value (and no timestamp), got %r" % (lineno, rest))
        if not FLOAT.fullmatch(fields[0]):
            raise Error("line %d: not a float: %r" % (lineno, fields[0]))
        value = float(fields[0])
        fam, suf = family_of(name, types)
        if fam is None:
            raise Error("line %d: sample %s belongs to no declared TYPE" % (lineno, name))
        if fam != current:
            raise Error("line %d: sample %s outside its family's block" % (lineno, name))
        t = types[fam]
        if t == "counter":
            if not fam.endswith("_total"):
                raise Error("line %d: counter %s does not end in _total" % (lineno, fam))
            if value < 0:
                raise Error("line %d: counter %s is negative" % (lineno, fam))
        lnames = {l[0] for l in labels}
        if t == "summary" and suf == "" and "quantile" not in lnames:
            raise Error("line %d: summary sample %s without quantile" % (lineno, name))
        if t == "histogram" and (suf == "" or (suf == "_bucket" and "le" not in lnames)):
            raise Error("line %d: histogram sample %s" % (lineno, name))
        key = (name, tuple(sorted(labels)))
        if key in samples:
            raise Error("line %d: series %s%s twice" % (lineno, name, dict(labels)))
        samples[key] = value
    for name in types:
        if not any(family_of(k[0], types)[0] == name for k in samples):
            raise Error("family %s is declared but has no sample" % name)
    return samples


def series_name(key):
    name, labels = key
    if not labels:
        return name
    return name + "{" + ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
                                 for k, v in labels) + "}"


def selftest():
    good = ('# HELP a_total x\n# TYPE a_total counter\na_total{v="q\\"\\\\\\n"} 1\n'
            '# TYPE s summary\ns_sum 1.5e3\ns_count 2\n# TYPE g gauge\ng -Inf\n')
    bad = {
        "no TYPE": "x 1\n",
        "counter without _total": "# TYPE c counter\nc 1\n",
        "bad escape": '# TYPE g gauge\ng{a="\\t"} 1\n',
        "duplicate series": '# TYPE g gauge\ng{a="1"} 1\ng{a="1"} 2\n',
        "timestamp": "# TYPE g gauge\ng 1 1700000000000\n",
        "bad name": "# TYPE 1g gauge\n",
        "unterminated": '# TYPE g gauge\ng{a="1} 1\n',
        "no newline at end": "# TYPE g gauge\ng 1",
        "not contiguous": "# TYPE g gauge\ng 1\n# TYPE h gauge\nh 1\n# HELP g again\n",
        "negative counter": "# TYPE c_total counter\nc_total -1\n",
        "summary without quantile": "# TYPE s summary\ns 1\n",
        "two TYPEs": "# TYPE g gauge\n# TYPE g counter\ng 1\n",
        "not a float": "# TYPE g gauge\ng one\n",
        "reserved label": '# TYPE g gauge\ng{__x="1"} 1\n',
        "declared without samples": "# TYPE g gauge\n",
    }
    ok = True
    try:
        parse(good)
    except Error as e:
        print("selftest: the good text was refused: %s" % e)
        ok = False
    for what, text in bad.items():
        try:
            parse(text)
            print("selftest: not refused: %s" % what)
            ok = False
        except Error:
            pass
    return ok


def main():
    args = sys.argv[1:]
    if args == ["--selftest"]:
        sys.exit(0 if selftest() else 1)
    dump = False
    if args and args[0] == "--dump":
        dump = True
        args = args[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    text = sys.stdin.read() if args[0] == "-" else open(args[0], encoding="utf-8").read()
    try:
        samples = parse(text)
    except Error as e:
        print("%s: %s" % (args[0], e))
        sys.exit(1)
    if dump:
        for key in sorted(samples, key=series_name):
            v = samples[key]
            print("%s %s" % (series_name(key), int(v) if v.is_integer() else repr(v)))


if __name__ == "__main__":
    main()
