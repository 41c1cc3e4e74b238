"""An allocation-heavy Python program, run as `PYTHONMALLOC=malloc python3 python_alloc.py [--smoke]`
so that every object goes through malloc: it builds an index of records (dicts, tuples, strings,
lists), sorts and groups them, serialises them to JSON and back, and checks the result."""
import json
import random
import sys


def make_records(n, rng):
    words = ["red", "green", "blue", "amber", "violet", "cyan", "magenta", "ochre"]
    return [
        {
            "id": i,
            "name": f"{rng.choice(words)}-{rng.choice(words)}-{i}",
            "score": rng.random() * 100,
            "tags": [rng.choice(words) for _ in range(rng.randrange(5))],
            "pos": (rng.randrange(1000), rng.randrange(1000)),
        }
        for i in range(n)
    ]


def round_trip(n, seed):
    rng = random.Random(seed)
    records = make_records(n, rng)
    groups = {}
    for r in records:
        groups.setdefault(r["name"].split("-")[0], []).append(r)
    ordered = sorted(records, key=lambda r: (r["score"], r["id"]))
    text = json.dumps({"groups": groups}, sort_keys=True)
    back = json.loads(text)
    assert sum(len(v) for v in back["groups"].values()) == n, "lost records"
    assert [r["id"] for r in ordered] == [r["id"] for r in sorted(records, key=lambda r: (r["score"], r["id"]))]
    words = {}
    for r in records:
        for t in r["tags"]:
            words[t] = words.get(t, 0) + 1
    return sum(words.values()) == sum(len(r["tags"]) for r in records)


def main():
    smoke = "--smoke" in sys.argv
    rounds, n = (2, 5_000) if smoke else (3, 35_000)
    for seed in range(rounds):
        if not round_trip(n, seed):
            print("python_alloc: DATA MISMATCH")
            sys.exit(2)
    print("python_alloc ok")


if __name__ == "__main__":
    main()
