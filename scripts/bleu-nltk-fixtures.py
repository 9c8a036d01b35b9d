#!/usr/bin/env python3
"""Writes NLTK's corpus_bleu on fixed examples as a JSON test fixture for the Java BLEU.

Runs Debian's python3-nltk 3.8 from extracted .debs, without installing anything:
  mkdir -p /tmp/nltk && cd /tmp/nltk
  apt-get download python3-nltk python3-regex python3-joblib python3-tqdm
  for f in *.deb; do dpkg-deb -x "$f" x; done
  PYTHONPATH=/tmp/nltk/x/usr/lib/python3/dist-packages python3 scripts/bleu-nltk-fixtures.py \
    > dl4j-sn-examples/src/test/resources/io/github/dl4jsn/examples/translation/bleu-nltk.json
Each case: references (per hypothesis, a list of token lists), hypotheses (token lists) and the
value of nltk.translate.bleu_score.corpus_bleu with its defaults (BLEU-4, uniform weights, no
smoothing, i.e. SmoothingFunction().method0).
"""
import json
import sys
import warnings

import nltk
from nltk.translate.bleu_score import corpus_bleu

warnings.simplefilter("ignore")  # method0 warns on zero n-gram counts; the value is what we want

def t(s):
    return s.split()

# Papineni et al. (2002) and the NLTK documentation's examples.
h1 = t("It is a guide to action which ensures that the military always obeys the commands of the party")
h2 = t("It is to insure the troops forever hearing the activity guidebook that party direct")
r1a = t("It is a guide to action that ensures that the military will forever heed Party commands")
r1b = t("It is the guiding principle which guarantees the military forces always being under the command of the Party")
r1c = t("It is the practical guide for the army always to heed the directions of the party")
h3 = t("he read the book because he was interested in world history")
r3 = t("he was interested in world history because he read the book")

cases = [
    ("papineni three references", [[r1a, r1b, r1c]], [h1]),
    ("nltk doc corpus of two", [[r1a, r1b, r1c], [r3]], [h1, h3]),
    ("bad hypothesis three references", [[r1a, r1b, r1c]], [h2]),
    ("exact match", [[t("lecteur d' écran scriptable")]], [t("lecteur d' écran scriptable")]),
    ("brevity penalty short hypothesis",
     [[t("bibliothèque de développement pour le traitement des images numériques")]],
     [t("bibliothèque de développement pour le traitement")]),
    ("closest reference length tie takes the shorter",
     [[t("a b c d e f"), t("a b c d e f g h")]], [t("a b c d e f x")]),
    ("no unigram match is zero", [[t("paquet de transition")]], [t("dummy transitional package")]),
    ("empty hypothesis is zero", [[t("paquet de transition")]], [[]]),
    ("no four-gram match gives method0 value",
     [[t("outils de développement pour le noyau linux")]],
     [t("outils pour le développement du noyau")]),
    ("short hypotheses with fewer than four tokens",
     [[t("paquet de transition")], [t("documentation")]], [t("paquet de transition"), t("documentation")]),
    ("corpus of ddtp-like sentences",
     [[t("bibliothèque partagée pour la compression de données")],
      [t("fichiers de développement pour libfoo")],
      [t("paquet factice de transition")],
      [t("utilitaires en ligne de commande pour gérer les archives zip")]],
     [t("bibliothèque partagée pour la compression des données"),
      t("fichiers de développement pour <unk>"),
      t("paquet de transition factice"),
      t("utilitaires en ligne de commande pour manipuler des archives zip")]),
]

out = {"nltk_version": nltk.__version__, "python": sys.version.split()[0], "cases": []}
for name, refs, hyps in cases:
    out["cases"].append({"name": name, "references": refs, "hypotheses": hyps,
                         "nltk": corpus_bleu(refs, hyps)})
json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write("\n")
