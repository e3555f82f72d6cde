#!/usr/bin/python3
"""Small sets for make bench-small (issue 12: "300 rows of a user's own reviews", and data sets
the shipped configs were not tuned on), written with a config each that names only its data and
the GloVe encoder:

  ruddit430   430 Ruddit comments drawn at random (seed 5) from ../shared/data's
              text-freddiehorn-2023 file, deleted/removed bodies left out; label the
              offensiveness score in [-1, 1]
  reviews430  430 synthetic restaurant reviews (seed 3): 6-14 neutral words plus positive and
              negative sentiment words whose counts follow the stars (1-5) with noise of one
              word either way
  stsb1000    1,000 sentence pairs drawn at random (seed 7) from STS-B's training file, a
              small sentence-pair relatedness set; label the similarity in [0, 5], pair
              features (combine_fields false)

data.file is cut 70/15/15 by prle (301 / 65 / 64 rows; 700 / 150 / 150 for stsb1000).

With --reviews N it writes instead one set of N synthetic reviews the same way (seed 11), e.g.
the README's large set: reviews60000 (42,000 / 9,000 / 9,000 rows); with --skewed too, their
stars drawn 8 / 5 / 7 / 20 / 60 % for 1 ... 5 as on review sites (seed 31; reviewsN-skewed).
--encoder E writes configs for encoder E (glove, the default, or hashing; the names of sets
and caches then end in -E).

usage: small_sets.py SHARED_DATA OUT [--reviews N [--skewed]] [--encoder E]
       (writes OUT/NAME.csv and OUT/NAME.yaml)"""
import argparse
import csv
import os
import random
import sys

POS = "great excellent wonderful delicious friendly fantastic perfect amazing lovely fresh".split()
NEG = "terrible awful rude cold dirty slow bland horrible disappointing overpriced".split()
NEU = ("the food service place we ordered table waiter menu dinner was and a it our lunch "
       "staff price").split()


def reviews(path, n=430, seed=3, probs=None):
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "stars"])
        for _ in range(n):
            stars = rng.choices([1, 2, 3, 4, 5], probs)[0] if probs else rng.randint(1, 5)
            words = [rng.choice(NEU) for _ in range(rng.randint(6, 14))]
            npos = max(0, stars - 2 + rng.choice([-1, 0, 0, 1]))
            nneg = max(0, 4 - stars + rng.choice([-1, 0, 0, 1]))
            words += [rng.choice(POS) for _ in range(npos)] + [rng.choice(NEG) for _ in range(nneg)]
            rng.shuffle(words)
            w.writerow([" ".join(words).capitalize() + ".", stars])


def ruddit(shared, path):
    src = os.path.join(shared, "ruddit/text-freddiehorn-2023/ruddit_with_text.csv")
    with open(src, newline="") as f:
        rows = [r for r in csv.DictReader(f)
                if r["comment_body"] not in ("[deleted]", "[removed]", "")]
    random.Random(5).shuffle(rows)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "score"])
        for r in rows[:430]:
            w.writerow([r["comment_body"], r["offensiveness_score"]])


def stsb_pairs(shared, path):
    """STS-B's sts-train.csv: tab-separated, no quoting; score in field 5, the two sentences in
    fields 6 and 7 (a few lines carry extra fields after them)."""
    rows = []
    with open(os.path.join(shared, "stsb/sts-train.csv"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 7:
                rows.append((fields[5], fields[6], fields[4]))
    random.Random(7).shuffle(rows)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sentence1", "sentence2", "score"])
        w.writerows(rows[:1000])


def config(out, name, label, lo, hi, fields=("text",), encoder="glove"):
    pair = len(fields) > 1
    csv_name = name
    if encoder != "glove":
        name += "-" + encoder
    with open(os.path.join(out, name + ".yaml"), "w") as f:
        f.write(f"""# make bench-small: {name}, data and encoder keys only
data:
  name: {name}
  file: {csv_name}.csv
  text_fields: [{", ".join(fields)}]
  label_field: {label}
  label_min: {lo}
  label_max: {hi}
{"  combine_fields: false" + chr(10) if pair else ""}  embedding_cache_dir: cache-{name}
model:
  encoder_type: {encoder}
""")


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("usage: ")[1])
    ap.add_argument("shared")
    ap.add_argument("out")
    ap.add_argument("--reviews", type=int)
    ap.add_argument("--skewed", action="store_true")
    ap.add_argument("--encoder", default="glove", choices=("glove", "hashing"))
    a = ap.parse_args()
    if a.skewed and not a.reviews:
        ap.error("--skewed goes with --reviews N")
    os.makedirs(a.out, exist_ok=True)
    if a.reviews:
        name = f"reviews{a.reviews}" + ("-skewed" if a.skewed else "")
        reviews(os.path.join(a.out, name + ".csv"), a.reviews, 31 if a.skewed else 11,
                [0.08, 0.05, 0.07, 0.2, 0.6] if a.skewed else None)
        config(a.out, name, "stars", 1, 5, encoder=a.encoder)
        return
    ruddit(a.shared, os.path.join(a.out, "ruddit430.csv"))
    reviews(os.path.join(a.out, "reviews430.csv"))
    stsb_pairs(a.shared, os.path.join(a.out, "stsb1000.csv"))
    config(a.out, "ruddit430", "score", -1, 1, encoder=a.encoder)
    config(a.out, "reviews430", "stars", 1, 5, encoder=a.encoder)
    config(a.out, "stsb1000", "score", 0, 5, ("sentence1", "sentence2"), encoder=a.encoder)


if __name__ == "__main__":
    main()
