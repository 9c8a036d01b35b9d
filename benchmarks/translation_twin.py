#!/usr/bin/env python3
"""PyTorch twin of the translation example (io.github.dl4jsn.examples.translation).

The anchor for the Java example's BLEU figures: the same data, splits, tokenizer, vocabularies,
batches, decoding, rare-word step and BLEU, and the encoder-decoder of Sutskever et al. (2014)
with the encoder's final LSTM states handed to the decoder (no attention).

- Data: the splits the Java `prepare` command wrote, DATA/short/{train,valid,test}.tsv
  (`md5 TAB english TAB french`, read as ParallelCorpus.read does). This script does not pair or
  split DDTP files itself; without the splits it says which Java command writes them.
- Tokenizer: Tokenizer.java's rules (NFC; U+2019 and U+02BC become '; lower case; elided French
  words, words with inner - . _ + /, any other single character that is not Java's ASCII \\s),
  with Java's regex rebuilt from Unicode categories (\\p{L}, \\p{N}; Python's Unicode tables, not
  Java's, so a character added to Unicode between the two versions may differ).
  `crosscheck-java` compiles the Java classes and compares every line of the splits.
- Vocabularies: Vocabulary.java: <pad>=0, <unk>=1, <eos>=2, then the top-K training words by
  count, ties in Java's String order (UTF-16 code units, not code points).
- Examples and batches: Example.java: the source cut to --max-len words, reversed unless
  --no-reverse-source, then <eos>; the target cut to --max-len words, then <eos>; the decoder
  reads <eos> then the target words. The batches of an epoch are Example.batches with
  java.util.Random(seed) re-implemented: shuffle, sort by length inside windows of 20 batches,
  cut, shuffle the batches, so an uninterrupted run visits the same batches as Java's.
- Model: embedding (--embedding) -> --layers LSTM layers of --hidden cells on the source; the
  decoder, the same shape, starts from the encoder's final (h, c) of each layer (packed sequences:
  padding never reaches the final state); a Linear layer to the target vocabulary, softmax.
  Weights uniform in [-0.08, 0.08] (as Java's WeightInitDistribution); biases as DL4J's LSTM:
  0, forget gate 1 (DL4J's forgetGateBiasInit); DL4J has one bias per gate, so PyTorch's second
  bias (bias_hh) is held at 0 and not trained.
- --sn: torch.nn.utils.parametrizations.spectral_norm on weight_ih_l{k} ([4H, in]) and
  weight_hh_l{k} ([4H, H]) of every encoder and decoder layer, each as one matrix over its four
  gates (not per gate block): the matrices dl4j-sn normalizes (SpectralNormalization's LSTM
  layout, WeightLayout.DENSE: M = W^T of DL4J's [nIn, 4H] W and [H, 4H] RW). With --sn the output
  layer's [V, H] weight too, as Java's --sn, unless --no-sn-output. One power iteration per
  training forward, 15 at initialization, none in eval mode (dl4j-sn's defaults); PyTorch's
  parametrization updates u = normalize(M v) then v = normalize(M^T u), dl4j-sn (like PyTorch's
  older hook API) v first, then u: the same estimate sigma = u^T M v, half an iteration apart.
  Embeddings are not normalized.
- Training: Adam (lr 1e-3), batch 64, gradient clipping at global L2 norm --clip 5
  (--clip-mode per-layer: DL4J's ClipL2PerLayer, each layer's gradient on its own); loss:
  cross-entropy summed over the target words (the final <eos> included), divided by the
  sentences of the batch (DL4J's score); reported per sentence and per word.
- Decoding (Translator.java): greedy (argmax over the whole vocabulary, batches of 64) and
  left-to-right beam search (a hypothesis that emits <eos> leaves the beam; stop when no partial
  hypothesis can beat the best complete one); at most min(2 x source length + 10,
  2 x max-len + 10) words, the source length counting its <eos>. --length-norm none (Java's,
  the paper's), average (log-probability / length) or gnmt (/ ((5 + length) / 6)^alpha, Wu et
  al. 2016), length = words + 1 (the <eos>).
- Rare-word step (RareWords.java): the k-th <unk> takes the k-th source word outside the source
  vocabulary (original order), translated by the Dice dictionary learned on the training pairs,
  else copied; an <unk> with no such word left is deleted.
- BLEU (Bleu.java): corpus BLEU-4 as NLTK's corpus_bleu with its defaults (method0).

Differences from the Java example: PyTorch's init RNG and kernels, so the weights and every
float differ; PyTorch's log_softmax where Java takes the log of float softmax probabilities.
Both resume exactly: this twin saves the generator's state, Java replays the epochs' shuffles.

Usage:
  python3 benchmarks/translation_twin.py --self-test
  python3 benchmarks/translation_twin.py train --data data/ddtp --out out/twin [--sn] [--resume]
  python3 benchmarks/translation_twin.py eval --checkpoint out/twin/checkpoint.pt --beam 12
  python3 benchmarks/translation_twin.py crosscheck-java --data data/ddtp \\
      --classpath-file dl4j-sn-examples/target/classpath.txt
  python3 benchmarks/translation_twin.py bench --data data/ddtp --updates 20
"""
import argparse
import collections
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JAVA_DIR = ROOT / "dl4j-sn-examples/src/main/java/io/github/dl4jsn/examples/translation"
BLEU_FIXTURES = ROOT / ("dl4j-sn-examples/src/test/resources/io/github/dl4jsn/examples/"
                        "translation/bleu-nltk.json")
JAVA_FIXTURES = Path(__file__).resolve().parent / "translation_twin_fixtures.json"

SPECIALS = ["<pad>", "<unk>", "<eos>"]
PAD, UNK, EOS = 0, 1, 2

# ------------------------------------------------------------------------------------------------
# Tokenizer (Tokenizer.java)

_TOKEN_RE = None


def _category_class(prefixes):
    """A regex character class of every code point whose Unicode category starts with one of
    prefixes (Java's \\p{L} for "L", \\p{N} for "N")."""
    parts, start, prev = [], None, None
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp))[0] in prefixes:
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            parts.append((start, prev))
            start = None
    if start is not None:
        parts.append((start, prev))
    esc = "\\U%08x".__mod__
    return "[" + "".join(esc(a) if a == b else esc(a) + "-" + esc(b) for a, b in parts) + "]"


def _token_re():
    global _TOKEN_RE
    if _TOKEN_RE is None:
        import re
        letter, alnum = _category_class("L"), _category_class("LN")
        # Java: (?:jusqu|lorsqu|puisqu|qu|(?<![\p{L}\p{N}])[cdjlmnst])'(?=\p{L})
        #       |[\p{L}\p{N}]+(?:[-._+/][\p{L}\p{N}]+)*\+*|\S   (\S: not Java's ASCII \s)
        _TOKEN_RE = re.compile(
            "(?:jusqu|lorsqu|puisqu|qu|(?<!" + alnum + ")[cdjlmnst])'(?=" + letter + ")"
            + "|" + alnum + "+(?:[-._+/]" + alnum + "+)*\\+*"
            + "|[^ \\t\\n\\x0b\\f\\r]")
    return _TOKEN_RE


def tokenize(text):
    """The tokens of text by Tokenizer.java's rules."""
    s = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u02bc", "'").lower()
    return _token_re().findall(s)


def java_key(s):
    """Sort key giving Java's String.compareTo order (UTF-16 code units)."""
    return s.encode("utf-16-be")


# ------------------------------------------------------------------------------------------------
# Data (ParallelCorpus.read, TranslationData.read)

def read_pairs(path):
    """(id, source, target) triples of a split file, as ParallelCorpus.read."""
    out = []
    with open(path, encoding="utf-8", newline=None) as f:
        for n, line in enumerate(f, 1):
            fields = line[:-1].split("\t") if line.endswith("\n") else line.split("\t")
            if len(fields) != 3:
                raise SystemExit(f"{path} line {n}: expected id, source and target separated by "
                                 f"tabs, got {len(fields)} fields")
            out.append(tuple(fields))
    return out


def read_split(data, split):
    path = Path(data) / "short" / (split + ".tsv")
    if not path.is_file():
        raise SystemExit(
            f"No split file {path.resolve()}: write the splits with the Java example first:\n"
            "  bash scripts/fetch-ddtp.sh\n  bash scripts/run-example.sh "
            "io.github.dl4jsn.examples.translation.TranslationExample prepare --data " + str(data))
    return read_pairs(path)


# ------------------------------------------------------------------------------------------------
# Vocabulary (Vocabulary.java)

class Vocabulary:
    def __init__(self, words):
        if list(words[:3]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}, got {words[:3]}")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @staticmethod
    def build(sentences, top_k):
        if top_k < 1:
            raise ValueError(f"vocabulary size must be >= 1, got {top_k}")
        counts = collections.Counter(w for s in sentences for w in s)
        entries = sorted(counts.items(), key=lambda e: (-e[1], java_key(e[0])))
        words = list(SPECIALS)
        for w, _ in entries[:top_k]:
            if w not in SPECIALS:
                words.append(w)
        return Vocabulary(words)

    def __len__(self):
        return len(self.words)

    def contains(self, w):
        return w in self.index

    def index_of(self, w):
        return self.index.get(w, UNK)

    def encode(self, tokens):
        return [self.index.get(w, UNK) for w in tokens]


# ------------------------------------------------------------------------------------------------
# Rare-word step (RareWords.java)

class RareWords:
    def __init__(self, dictionary=None):
        self.dictionary = dict(dictionary or {})

    @staticmethod
    def learn(sources, targets, src_vocab=None, wanted=None):
        """Entries for the source words outside src_vocab, or for those wanted(word) accepts."""
        if wanted is None:
            wanted = lambda w: not src_vocab.contains(w)  # noqa: E731
        cs, ct = collections.Counter(), collections.Counter()
        cst = collections.defaultdict(collections.Counter)
        for src, tgt in zip(sources, targets):
            tset = set(tgt)
            ct.update(tset)
            for s in set(src):
                if not wanted(s):
                    continue
                cs[s] += 1
                cst[s].update(tset)
        dictionary = {}
        for s, row in cst.items():
            n_s = cs[s]
            if n_s < 2:
                continue
            best, best_dice, best_count = None, 0.5, 0
            for t, n in row.items():
                if n < 2:
                    continue
                dice = 2.0 * n / (n_s + ct[t])
                better = dice > best_dice or (dice == best_dice and (
                    best is None or n > best_count
                    or (n == best_count and java_key(t) < java_key(best))))
                if dice >= 0.5 and better:
                    best, best_dice, best_count = t, dice, n
            if best is not None:
                dictionary[s] = best
        return RareWords(dictionary)

    def translate(self, word):
        return self.dictionary.get(word, word)

    def replace(self, output, source, src_vocab):
        unknown = [s for s in source if not src_vocab.contains(s)]
        out, k = [], 0
        for w in output:
            if w != SPECIALS[UNK]:
                out.append(w)
            elif k < len(unknown):
                out.append(self.translate(unknown[k]))
                k += 1
        return out


# ------------------------------------------------------------------------------------------------
# BLEU (Bleu.java = NLTK corpus_bleu defaults)

def _ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def closest_reference_length(refs, hyp_len):
    return min((len(r) for r in refs), key=lambda n: (abs(n - hyp_len), n))


def brevity_penalty(r, c):
    if c > r:
        return 1.0
    if c == 0:
        return 0.0
    return math.exp(1 - r / c)


def corpus_bleu(references, hypotheses):
    """Corpus BLEU-4 of tokenized hypotheses, one list of tokenized references each."""
    if len(references) != len(hypotheses):
        raise ValueError(f"BLEU needs one reference set per hypothesis, got {len(references)} "
                         f"reference sets for {len(hypotheses)} hypotheses")
    num, den = [0] * 5, [0] * 5
    hyp_len = ref_len = 0
    for i, (refs, hyp) in enumerate(zip(references, hypotheses)):
        if not refs:
            raise ValueError(f"hypothesis {i} has no reference")
        for n in range(1, 5):
            counts = _ngrams(hyp, n)
            max_ref = collections.Counter()
            for ref in refs:
                rc = _ngrams(ref, n)
                for g in counts:
                    max_ref[g] = max(max_ref[g], rc[g])
            num[n] += sum(min(c, max_ref[g]) for g, c in counts.items())
            den[n] += max(1, sum(counts.values()))
        hyp_len += len(hyp)
        ref_len += closest_reference_length(refs, len(hyp))
    if num[1] == 0:
        return 0.0
    bp = brevity_penalty(ref_len, hyp_len)
    s = math.fsum(0.25 * math.log(sys.float_info.min if num[n] == 0 else num[n] / den[n])
                  for n in range(1, 5))
    return bp * math.exp(s)


# ------------------------------------------------------------------------------------------------
# java.util.Random and Example.batches

class JavaRandom:
    """java.util.Random: the 48-bit LCG, nextInt(bound) and Collections.shuffle."""
    MULT, MASK = 0x5DEECE66D, (1 << 48) - 1

    def __init__(self, seed=0, state=None):
        self.state = state if state is not None else (seed ^ self.MULT) & self.MASK

    def _next(self, bits):
        self.state = (self.state * self.MULT + 0xB) & self.MASK
        r = self.state >> (48 - bits)
        return r - (1 << 32) if r >= 1 << 31 else r

    def next_int(self, bound):
        if bound <= 0:
            raise ValueError("bound must be positive")
        r, m = self._next(31), bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if u - r + m < 1 << 31:
                return r
            u = self._next(31)

    def shuffle(self, items):
        for i in range(len(items), 1, -1):
            j = self.next_int(i)
            items[i - 1], items[j] = items[j], items[i - 1]


def encode_source(tokens, vocab, reverse, max_len):
    words = tokens[:max_len]
    if reverse:
        words = words[::-1]
    return vocab.encode(words) + [EOS]


def encode_target(tokens, vocab, max_len):
    return vocab.encode(tokens[:max_len]) + [EOS]


def encode_pairs(pairs, src_vocab, tgt_vocab, reverse, max_len):
    """(id, source, target) pairs as (source ids, target ids) examples."""
    return [(encode_source(tokenize(p[1]), src_vocab, reverse, max_len),
             encode_target(tokenize(p[2]), tgt_vocab, max_len)) for p in pairs]


def epoch_batches(examples, batch_size, rnd):
    """Example.batches: lists of example indices, consuming rnd as Java does."""
    order = list(range(len(examples)))
    rnd.shuffle(order)
    out, window = [], batch_size * 20
    for w in range(0, len(order), window):
        chunk = sorted(order[w:w + window],
                       key=lambda i: len(examples[i][0]) + len(examples[i][1]))
        out.extend(chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size))
    rnd.shuffle(out)
    return out


# ------------------------------------------------------------------------------------------------
# Model

def _torch():
    import torch
    return torch


def build_model(settings, src_size, tgt_size):
    torch = _torch()
    from torch import nn
    from torch.nn.utils import parametrizations

    class LSTM(nn.LSTM):
        """nn.LSTM that reads its weights through their parametrizations on every forward
        (nn.LSTM keeps references to the raw parameters in _flat_weights)."""

        def forward(self, x, hx=None):
            self._flat_weights = [getattr(self, n) for n in self._flat_weights_names]
            return super().forward(x, hx)

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            e, h, layers = settings["embedding"], settings["hidden"], settings["layers"]
            self.src_embed = nn.Embedding(src_size, e)
            self.tgt_embed = nn.Embedding(tgt_size, e)
            p = settings.get("dropout", 0.0)
            # Dropout (inverted, training only) on the embedded words, between stacked LSTM
            # layers (nn.LSTM's own) and on the top decoder output; never on the handed-over
            # state. The paper used none (12M pairs); this corpus has 16k.
            self.drop = nn.Dropout(p)
            self.encoder = LSTM(e, h, layers, batch_first=True, dropout=p if layers > 1 else 0.0)
            self.decoder = LSTM(e, h, layers, batch_first=True, dropout=p if layers > 1 else 0.0)
            self.out = nn.Linear(h, tgt_size)
            with torch.no_grad():
                for name, p in self.named_parameters():
                    if "bias" in name:
                        p.zero_()
                    else:
                        p.uniform_(-0.08, 0.08)
                for lstm in (self.encoder, self.decoder):
                    for k in range(layers):
                        getattr(lstm, f"bias_ih_l{k}")[h:2 * h] = settings["forget_bias"]
                        getattr(lstm, f"bias_hh_l{k}").requires_grad_(False)
            if settings["sn"]:
                for lstm in (self.encoder, self.decoder):
                    for k in range(layers):
                        for w in (f"weight_ih_l{k}", f"weight_hh_l{k}"):
                            parametrizations.spectral_norm(lstm, w)
                if settings["sn_output"]:
                    parametrizations.spectral_norm(self.out, "weight")

        def encode(self, src, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(
                self.drop(self.src_embed(src)), lengths, batch_first=True, enforce_sorted=False)
            _, state = self.encoder(packed)
            return state

        def forward(self, src, lengths, tgt_in):
            y, _ = self.decoder(self.drop(self.tgt_embed(tgt_in)), self.encode(src, lengths))
            return self.out(self.drop(y))

        def step(self, prev, state):
            y, state = self.decoder(self.tgt_embed(prev)[:, None, :], state)
            return torch.log_softmax(self.out(y[:, 0]), dim=-1), state

    return Seq2Seq()


def weight_sigmas(model):
    """The largest singular value of every raw LSTM weight (W: input, RW: recurrent, as Java
    names them; before SN's division when SN is on) and of the output layer's weight."""
    torch = _torch()
    out = {}
    with torch.no_grad():
        for side, lstm in (("enc", model.encoder), ("dec", model.decoder)):
            for k in range(lstm.num_layers):
                for key, name in (("W", f"weight_ih_l{k}"), ("RW", f"weight_hh_l{k}")):
                    out[f"{side}{k}{key}"] = float(torch.linalg.matrix_norm(
                        raw_weight(lstm, name).double(), ord=2))
        out["outW"] = float(torch.linalg.matrix_norm(raw_weight(model.out, "weight").double(),
                                                     ord=2))
    return out


def raw_weight(module, name):
    """A weight before its parametrization (SN), or the plain weight."""
    if hasattr(module, "parametrizations") and name in module.parametrizations:
        return module.parametrizations[name].original
    return getattr(module, name)


def layer_groups(model):
    """The parameter groups DL4J clips one by one (ClipL2PerLayer): each embedding, each LSTM
    layer, the output layer."""
    groups = collections.defaultdict(list)
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        mod = name.split(".")[0]
        if mod in ("encoder", "decoder"):
            groups[mod + name.rsplit("_l", 1)[1].split(".")[0]].append(p)
        else:
            groups[mod].append(p)
    return list(groups.values())


def pad_batch(examples):
    """Tensors of a batch: source [B, Ts], lengths, decoder input and labels [B, Tt]."""
    torch = _torch()
    b = len(examples)
    ts = max(len(s) for s, _ in examples)
    tt = max(len(t) for _, t in examples)
    src = torch.zeros(b, ts, dtype=torch.long)
    tgt_in = torch.zeros(b, tt, dtype=torch.long)
    labels = torch.zeros(b, tt, dtype=torch.long)
    for i, (s, t) in enumerate(examples):
        src[i, :len(s)] = torch.tensor(s)
        labels[i, :len(t)] = torch.tensor(t)
        tgt_in[i, :len(t)] = torch.tensor([EOS] + t[:-1])
    return src, torch.tensor([len(s) for s, _ in examples]), tgt_in, labels


def batch_loss(model, examples):
    """(summed cross-entropy, target words) of a batch."""
    torch = _torch()
    src, lengths, tgt_in, labels = pad_batch(examples)
    logits = model(src, lengths, tgt_in)
    loss = torch.nn.functional.cross_entropy(
        logits.flatten(0, 1), labels.flatten(), ignore_index=PAD, reduction="sum")
    return loss, int((labels != PAD).sum())


# ------------------------------------------------------------------------------------------------
# Decoding (Translator.java)

def decode_limit(source, max_len):
    return min(max_len, 2 * len(source) + 10)


def greedy(model, sources, max_len):
    """Greedy decoding of encoded sources (batched); word indices without <eos>."""
    torch = _torch()
    src, lengths, _, _ = pad_batch([(s, [EOS]) for s in sources])
    state = model.encode(src, lengths)
    b = len(sources)
    prev = torch.full((b,), EOS, dtype=torch.long)
    outs, done = [[] for _ in range(b)], [False] * b
    for _ in range(max_len):
        logp, state = model.step(prev, state)
        nxt = logp.argmax(1)
        nl = nxt.tolist()
        for i in range(b):
            if not done[i]:
                if nl[i] == EOS or len(outs[i]) >= decode_limit(sources[i], max_len):
                    done[i] = True
                else:
                    outs[i].append(nl[i])
        prev = nxt
        if all(done):
            break
    return outs


def length_penalty(norm, alpha):
    if norm == "none":
        return lambda n: 1.0
    if norm == "average":
        return lambda n: float(n)
    if norm == "gnmt":
        return lambda n: ((5.0 + n) / 6.0) ** alpha
    raise ValueError(f"unknown length normalization {norm}")


def beam_search(model, source, beam, max_len, norm="none", alpha=0.6):
    """Translator.beam: left-to-right beam search for one encoded source. Scores are summed
    log-probabilities (float64); a complete hypothesis of w words scores score / lp(w + 1)."""
    torch = _torch()
    src, lengths, _, _ = pad_batch([(source, [EOS])])
    state = model.encode(src, lengths)
    limit = decode_limit(source, max_len)
    lp = length_penalty(norm, alpha)
    live = [([], 0.0)]
    best = None  # (words, normalized score)
    for t in range(limit + 1):
        if not live:
            break
        prev = torch.tensor([w[-1] if w else EOS for w, _ in live])
        logp, new_state = model.step(prev, state)
        scores = logp.double() + torch.tensor([s for _, s in live], dtype=torch.float64)[:, None]
        scores[:, PAD] = -math.inf
        if t == limit:
            keep = scores[:, EOS].clone()
            scores.fill_(-math.inf)
            scores[:, EOS] = keep
        v = scores.shape[1]
        vals, idx = scores.flatten().topk(min(beam, scores.numel()))
        nxt, parents = [], []
        for s, i in zip(vals.tolist(), idx.tolist()):
            if s == -math.inf:
                continue
            parent, w = divmod(i, v)
            words = live[parent][0]
            if w == EOS:
                ns = s / lp(len(words) + 1)
                if best is None or ns > best[1]:
                    best = (words, ns)
            else:
                nxt.append((words + [w], s))
                parents.append(parent)
        # No partial hypothesis can beat the best complete one: raw scores only fall, and
        # lp(n) <= lp(limit + 1), so score / lp(limit + 1) bounds every completion (lp = 1: Java).
        if best is not None and (not nxt or nxt[0][1] / lp(limit + 1) <= best[1]):
            break
        if nxt:
            pi = torch.tensor(parents)
            state = tuple(x[:, pi] for x in new_state)
        live = nxt
    return best[0] if best is not None else []


class Translator:
    """A trained model with its vocabularies, dictionary and settings (TranslationExample.Saved)."""

    def __init__(self, model, src_vocab, tgt_vocab, rare, settings):
        self.model, self.src_vocab, self.tgt_vocab = model, src_vocab, tgt_vocab
        self.rare, self.settings = rare, settings

    def decode(self, sources, beam=1, norm="none", alpha=0.6, progress=None):
        """Tokenized sources -> decoded target words (no <eos>)."""
        torch = _torch()
        from torch.nn.utils import parametrize
        max_len = self.settings["max_len"]
        enc = [encode_source(s, self.src_vocab, self.settings["reverse"], max_len)
               for s in sources]
        outs = []
        was_training = self.model.training
        self.model.eval()
        start = time.time()
        with torch.no_grad(), parametrize.cached():
            if beam == 1:
                for i in range(0, len(enc), 64):
                    outs.extend(greedy(self.model, enc[i:i + 64], 2 * max_len + 10))
            else:
                for i, e in enumerate(enc):
                    outs.append(beam_search(self.model, e, beam, 2 * max_len + 10, norm, alpha))
                    if progress and (i + 1) % progress == 0:
                        print(f"  beam {beam}: {i + 1}/{len(enc)} sentences, "
                              f"{time.time() - start:.0f} s", flush=True)
        self.model.train(was_training)
        return [[self.tgt_vocab.words[i] for i in o] for o in outs]

    def evaluate(self, pairs, beam=1, norm="none", alpha=0.6, progress=None, paragraphs=None):
        """BLEU raw, after the rare-word step, after the step by identity only and, given a
        paragraph dictionary (RareWords), after the step with it."""
        sources = [tokenize(p[1]) for p in pairs]
        refs = [[tokenize(p[2])] for p in pairs]
        raw = self.decode(sources, beam, norm, alpha, progress)
        rare = [self.rare.replace(o, s, self.src_vocab) for o, s in zip(raw, sources)]
        ident = RareWords()
        identity = [ident.replace(o, s, self.src_vocab) for o, s in zip(raw, sources)]
        result = {"raw": raw, "rare": rare, "bleu": corpus_bleu(refs, raw),
                  "bleu_rare": corpus_bleu(refs, rare),
                  "bleu_identity": corpus_bleu(refs, identity)}
        if paragraphs is not None:
            result["rare_paragraphs"] = [paragraphs.replace(o, s, self.src_vocab)
                                         for o, s in zip(raw, sources)]
            result["bleu_paragraphs"] = corpus_bleu(refs, result["rare_paragraphs"])
        return result


def paragraph_dictionary(data, src_vocab, words):
    """TranslationData.paragraphDictionary: entries learned from the training short
    descriptions and short/train-paragraphs.tsv (written by the Java eval) for the given words
    outside the source vocabulary; None when that file is missing."""
    path = Path(data) / "short" / "train-paragraphs.tsv"
    if not path.is_file():
        print(f"No paragraph dictionary: {path} is missing (the Java eval writes it)", flush=True)
        return None
    wanted = {w for w in words if not src_vocab.contains(w)}
    pairs = read_split(data, "train") + read_pairs(path)
    return RareWords.learn([tokenize(p[1]) for p in pairs], [tokenize(p[2]) for p in pairs],
                           wanted=wanted.__contains__)


# ------------------------------------------------------------------------------------------------
# train

DEFAULTS = {"layers": 2, "hidden": 256, "embedding": 256, "src_vocab": 8000, "tgt_vocab": 8000,
            "reverse": True, "sn": False, "sn_output": True, "lr": 1e-3, "clip": 5.0,
            "clip_mode": "global", "batch_size": 64, "max_len": 40, "seed": 1,
            "forget_bias": 1.0, "train_sentences": 0, "dropout": 0.0, "adam": "pytorch"}


def settings_from(args):
    return {k: (getattr(args, k) if getattr(args, k) is not None else v)
            for k, v in DEFAULTS.items()}


def prepare_training(data, settings):
    """Training examples, vocabularies and dictionary from the train split."""
    pairs = read_split(data, "train")
    if settings["train_sentences"] > 0:
        pairs = pairs[:settings["train_sentences"]]
    src = [tokenize(p[1]) for p in pairs]
    tgt = [tokenize(p[2]) for p in pairs]
    return pairs, src, tgt


def fmt_secs(s):
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600}h{s // 60 % 60:02d}m{s % 60:02d}s"
    return f"{s // 60}m{s % 60:02d}s"


def make_adam(params, settings):
    """torch.optim.Adam, or with --adam nd4j ND4J's form of the same update (AdamUpdater, the
    native adam_updater op): epsilon added to sqrt(v) before the bias correction instead of
    after, i.e. lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps). The two differ by
    epsilon's scale only: written as PyTorch's m_hat / (sqrt(v_hat) + eps'), ND4J's eps' is
    eps / sqrt(1 - b2^t), 32 times PyTorch's at the first update, 2.1 at the 256th (one epoch
    here), 1.26 at the 1,000th."""
    torch = _torch()
    if settings["adam"] == "pytorch":
        return torch.optim.Adam(params, lr=settings["lr"])

    class Nd4jAdam(torch.optim.Optimizer):
        def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
            super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    st = self.state[p]
                    if not st:
                        st["step"] = 0
                        st["exp_avg"] = torch.zeros_like(p)
                        st["exp_avg_sq"] = torch.zeros_like(p)
                    st["step"] += 1
                    t = st["step"]
                    st["exp_avg"].mul_(b1).add_(p.grad, alpha=1 - b1)
                    st["exp_avg_sq"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                    alpha = group["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                    p.addcdiv_(st["exp_avg"], st["exp_avg_sq"].sqrt().add_(group["eps"]),
                               value=-alpha)

    return Nd4jAdam(params, lr=settings["lr"])


def clip_gradients(model, settings):
    torch = _torch()
    if settings["clip_mode"] == "global":
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad],
                                       settings["clip"])
    else:
        for group in layer_groups(model):
            torch.nn.utils.clip_grad_norm_(group, settings["clip"])


def valid_loss(model, examples, batch_size):
    torch = _torch()
    model.eval()
    total = words = 0.0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            loss, n = batch_loss(model, examples[i:i + batch_size])
            total += float(loss)
            words += n
    model.train()
    return total / max(1, len(examples)), total / max(1, words)


def cmd_train(a):
    torch = _torch()
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_file, history_file = out / "checkpoint.pt", out / "train-history.json"
    ckpt = None
    if a.resume:
        if ckpt_file.is_file():
            ckpt = torch.load(ckpt_file)
        else:
            print(f"--resume: no checkpoint {ckpt_file}, starting from scratch", flush=True)
    if ckpt is not None:
        settings = ckpt["settings"]
        given = {k: getattr(a, k) for k in DEFAULTS if getattr(a, k) is not None}
        settings = {**DEFAULTS, **settings}  # checkpoints from before an option existed
        differ = {k: (v, settings[k]) for k, v in given.items() if settings[k] != v}
        if differ:
            print("--resume: the checkpoint's settings win over " + ", ".join(
                f"--{k.replace('_', '-')} {v} (checkpoint: {s})" for k, (v, s) in differ.items()),
                flush=True)
    else:
        settings = settings_from(a)
    for k in ("layers", "hidden", "embedding", "src_vocab", "tgt_vocab", "batch_size", "max_len"):
        if settings[k] < 1:
            raise SystemExit(f"--{k.replace('_', '-')} must be >= 1, got {settings[k]}")
    if not (settings["lr"] > 0 and settings["clip"] > 0):
        raise SystemExit("--lr and --clip must be > 0")
    if not 0 <= settings["dropout"] < 1:
        raise SystemExit(f"--dropout must be in [0, 1), got {settings['dropout']}")
    if a.patience < 0:
        raise SystemExit(f"--patience must be >= 0, got {a.patience}")
    pairs, train_src, train_tgt = prepare_training(a.data, settings)
    if ckpt is not None:
        sv, tv = Vocabulary(ckpt["src_vocab"]), Vocabulary(ckpt["tgt_vocab"])
        rare = RareWords(ckpt["rare_words"])
    else:
        sv = Vocabulary.build(train_src, settings["src_vocab"])
        tv = Vocabulary.build(train_tgt, settings["tgt_vocab"])
        rare = RareWords.learn(train_src, train_tgt, sv)
    torch.manual_seed(settings["seed"])
    model = build_model(settings, len(sv), len(tv))
    init_from = ckpt.get("init_from") if ckpt is not None else a.init_from
    if a.init_from and ckpt is not None:
        print(f"--init-from ignored: resuming {ckpt_file}", flush=True)
    elif a.init_from:
        init_from_dl4j(model, a.init_from, settings, sv, tv)
    opt = make_adam([p for p in model.parameters() if p.requires_grad], settings)
    rnd = JavaRandom(settings["seed"])
    history, epoch0 = [], 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        rnd = JavaRandom(state=ckpt["java_random"])
        torch.set_rng_state(ckpt["torch_rng"])
        epoch0, history = ckpt["epoch"], ckpt["history"]
        print(f"Resuming {ckpt_file} at epoch {epoch0} ({ckpt['updates']} updates)", flush=True)
    updates = ckpt["updates"] if ckpt is not None else 0
    max_len = settings["max_len"]
    train = [(encode_source(s, sv, settings["reverse"], max_len), encode_target(t, tv, max_len))
             for s, t in zip(train_src, train_tgt)]
    valid_pairs = read_split(a.data, "valid")[:a.valid_sentences] if a.valid_sentences else []
    valid = encode_pairs(valid_pairs, sv, tv, settings["reverse"], max_len)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"Model: {settings['layers']} layers x {settings['hidden']} cells, embedding "
          f"{settings['embedding']}, vocab {len(sv)} -> {len(tv)}, {n_params} trainable "
          f"parameters, sn {settings['sn']} (output layer "
          f"{settings['sn'] and settings['sn_output']}),"
          f" reverse {settings['reverse']}, {len(rare.dictionary)} dictionary entries, "
          f"{len(train)} training pairs, clip {settings['clip']} {settings['clip_mode']}, Adam "
          f"{settings['adam']}",
          flush=True)
    translator = Translator(model, sv, tv, rare, settings)
    per_epoch = (len(train) + settings["batch_size"] - 1) // settings["batch_size"]
    run_start, run_updates, update_secs = time.time(), 0, 0.0
    model.train()
    for epoch in range(epoch0, a.epochs):
        start = time.time()
        batches = epoch_batches(train, settings["batch_size"], rnd)
        loss_sum = loss_total = 0.0
        words_total = 0
        for b, idx in enumerate(batches):
            t0 = time.time()
            loss, words = batch_loss(model, [train[i] for i in idx])
            per_sentence = loss / len(idx)
            opt.zero_grad()
            per_sentence.backward()
            clip_gradients(model, settings)
            opt.step()
            update_secs += time.time() - t0
            run_updates += 1
            updates += 1
            loss_sum += float(per_sentence)
            loss_total += float(loss)
            words_total += words
            if (b + 1) % a.log_every == 0 or b == len(batches) - 1:
                mean_update = update_secs / run_updates
                left_epoch = (len(batches) - b - 1) * mean_update
                left_run = left_epoch + (a.epochs - epoch - 1) * per_epoch * mean_update
                print(f"epoch {epoch + 1} batch {b + 1}/{len(batches)}: loss "
                      f"{float(per_sentence):.4g}"
                      f" (mean {loss_sum / (b + 1):.4g}/sentence, {loss_total / words_total:.4g}/"
                      f"word), {1000 * mean_update:.0f} ms/update, elapsed "
                      f"{fmt_secs(time.time() - run_start)}, left: epoch ~{fmt_secs(left_epoch)}, "
                      f"run ~{fmt_secs(left_run)}", flush=True)
        seconds = time.time() - start
        row = {"epoch": epoch + 1, "updates": updates, "trainLoss": loss_sum / len(batches),
               "trainLossPerWord": loss_total / words_total, "seconds": seconds,
               "msPerUpdate": 1000 * seconds / len(batches)}
        if valid:
            row["validLoss"], row["validLossPerWord"] = valid_loss(model, valid,
                                                                   settings["batch_size"])
            t0 = time.time()
            row["validBleuGreedy"] = translator.evaluate(valid_pairs)["bleu"]
            row["validSentences"] = len(valid)
            row["validSeconds"] = time.time() - t0
        row["sigmas"] = weight_sigmas(model)
        history.append(row)
        print(f"epoch {epoch + 1} done: {json.dumps(row)}", flush=True)
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                 "updates": updates, "java_random": rnd.state,
                 "torch_rng": torch.get_rng_state(), "settings": settings,
                 "src_vocab": sv.words, "tgt_vocab": tv.words, "rare_words": rare.dictionary,
                 "history": history, "framework": "pytorch " + torch.__version__,
                 "init_from": init_from}
        tmp = ckpt_file.with_suffix(".pt.tmp")
        torch.save(state, tmp)
        os.replace(tmp, ckpt_file)
        if valid and best_epoch(history) == epoch + 1:
            shutil.copyfile(ckpt_file, tmp)
            os.replace(tmp, out / "best.pt")
            print(f"Best validation BLEU so far: {row['validBleuGreedy']:.4f}, saved "
                  f"{out / 'best.pt'}", flush=True)
        with open(history_file, "w") as f:
            json.dump(history, f, indent=1)
        print(f"Saved {ckpt_file} and {history_file}", flush=True)
        if valid and a.patience and epoch + 1 - best_epoch(history) >= a.patience:
            print(f"Stopping: no better validation BLEU for {a.patience} epochs (best "
                  f"epoch {best_epoch(history)})", flush=True)
            break
    return 0


def best_epoch(history):
    """The epoch of the highest greedy validation BLEU (the first on ties); 0 without one."""
    best, epoch = None, 0
    for row in history:
        b = row.get("validBleuGreedy")
        if b is not None and (best is None or b > best):
            best, epoch = b, row["epoch"]
    return epoch


# ------------------------------------------------------------------------------------------------
# DL4J checkpoints: TranslationExample's model.zip / best.zip of the state architecture

def _java_utf(b, pos):
    n = int.from_bytes(b[pos:pos + 2], "big")
    return b[pos + 2:pos + 2 + n].decode("utf-8"), pos + 2 + n


def _nd4j_buffer(b, pos):
    import numpy as np
    _, pos = _java_utf(b, pos)  # allocation mode
    length = int.from_bytes(b[pos:pos + 8], "big", signed=True)
    dtype, pos = _java_utf(b, pos + 8)
    kinds = {"LONG": ">i8", "INT": ">i4", "FLOAT": ">f4", "DOUBLE": ">f8"}
    if dtype not in kinds:
        raise ValueError(f"ND4J buffer of type {dtype}: only {sorted(kinds)} are read")
    dt = np.dtype(kinds[dtype])
    return np.frombuffer(b, dtype=dt, count=length, offset=pos), pos + length * dt.itemsize


def read_nd4j_array(b):
    """An array as Nd4j.write wrote it (big-endian): its shape-information buffer [rank,
    shape, stride, extras, element-wise stride, order], then its data buffer."""
    import numpy as np
    info, pos = _nd4j_buffer(b, 0)
    rank = int(info[0])
    shape = [int(x) for x in info[1:1 + rank]]
    stride = [int(x) for x in info[1 + rank:1 + 2 * rank]]
    order = chr(int(info[-1]))
    data, pos = _nd4j_buffer(b, pos)
    if pos != len(b) or order not in "cf" or data.size != math.prod(shape):
        raise ValueError(f"not one dense ND4J array: shape {shape}, order {order!r}, "
                         f"{data.size} elements, {len(b) - pos} bytes left")
    a = data.astype(data.dtype.newbyteorder("=")).reshape(shape, order=order.upper())
    dense = [s // a.itemsize for s in a.strides]
    if stride != dense:
        raise ValueError(f"ND4J array with strides {stride}, not dense {order}-order {dense}")
    return a


def _java_serialized_strings(b, header, base):
    """The strings of a Java-serialized ArrayList<String> (Vocabulary.words) or
    HashMap<String, String> (the settings) after `header` (their class name), whose first string
    has the serialization handle `base`."""
    at = b.find(header)
    if at < 0:
        raise ValueError(f"no {header.decode()} in the serialized object")
    at = b.find(b"\x77", at)  # TC_BLOCKDATA: capacity (and size)
    pos = at + 2 + b[at + 1]
    out = []
    while pos < len(b) and b[pos] in (0x74, 0x71):
        if b[pos] == 0x74:
            word, pos = _java_utf(b, pos + 1)
            out.append(word)
        else:
            out.append(out[int.from_bytes(b[pos + 1:pos + 5], "big") - 0x7E0000 - base])
            pos += 5
    return out


def read_dl4j_model(path):
    """A TranslationExample checkpoint of the state architecture (StateSeq2SeqModel.write plus
    the vocabularies and settings): its config, settings, vocabularies and weights (numpy) by
    DL4J's names; no updater state, no rare-word dictionary. SN models are refused: their u, v
    and the parametrization's original weight are not mapped."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        if "state-seq2seq.json" not in names:
            raise SystemExit(f"{path}: not a state-architecture TranslationExample checkpoint "
                             f"(no state-seq2seq.json; the output architecture is a DL4J graph)")
        meta = json.loads(z.read("state-seq2seq.json"))
        if meta["config"].get("sn") == "true":
            raise SystemExit(f"{path}: an SN model; only plain DL4J models are read (SN's u, v "
                             f"and the parametrization's original weight are not mapped)")
        params = {n: read_nd4j_array(z.read("params/" + n)) for n in meta["params"]}
        words = {k: _java_serialized_strings(z.read("objects/" + k), b"java.util.ArrayList", 0)
                 for k in ("srcVocab", "tgtVocab")}
        kv = _java_serialized_strings(z.read("objects/settings"), b"java.util.HashMap", 2)
    settings = dict(zip(kv[0::2], kv[1::2]))
    return meta, settings, words, params


def dl4j_to_twin(model, params, layers):
    """Copies DL4J's weights into the twin's model: W [in, 4H] -> weight_ih = W^T and RW [H, 4H]
    -> weight_hh = RW^T (both gate orders i, f, g, o), b -> bias_ih (bias_hh stays 0), outW
    [H, V] -> out.weight = outW^T."""
    torch = _torch()
    pairs = [("srcEmbed", model.src_embed.weight, False),
             ("tgtEmbed", model.tgt_embed.weight, False),
             ("outW", model.out.weight, True), ("outb", model.out.bias, False)]
    for side, lstm in (("enc", model.encoder), ("dec", model.decoder)):
        for k in range(layers):
            pairs += [(f"{side}{k}W", getattr(lstm, f"weight_ih_l{k}"), True),
                      (f"{side}{k}RW", getattr(lstm, f"weight_hh_l{k}"), True),
                      (f"{side}{k}b", getattr(lstm, f"bias_ih_l{k}"), False)]
    if set(params) != {n for n, _, _ in pairs}:
        raise SystemExit(f"DL4J parameters {sorted(params)} do not match the twin's model")
    with torch.no_grad():
        for name, target, transpose in pairs:
            src = torch.from_numpy(params[name].T.copy() if transpose else params[name].copy())
            if tuple(src.shape) != tuple(target.shape):
                raise SystemExit(f"DL4J {name}: shape {tuple(src.shape)}, the twin's "
                                 f"{tuple(target.shape)}")
            target.copy_(src.to(target.dtype))


def init_from_dl4j(model, path, settings, sv, tv):
    """Starts the twin's model from a DL4J checkpoint's weights (TranslationExample train
    --epochs 0 writes the initial ones): same sizes and vocabularies, no SN."""
    meta, _, words, params = read_dl4j_model(path)
    c = meta["config"]
    if settings["sn"]:
        raise SystemExit(f"--init-from {path}: not with --sn (SN's u, v and the "
                         f"parametrization's original weight are not mapped)")
    for key in ("layers", "hidden", "embedding"):
        if int(c[key]) != settings[key]:
            raise SystemExit(f"--init-from {path}: its {key} is {c[key]}, this run's "
                             f"--{key} {settings[key]}")
    if words["srcVocab"] != sv.words or words["tgtVocab"] != tv.words:
        raise SystemExit(f"--init-from {path}: its vocabularies differ from this run's (another "
                         f"seed's split, corpus or --src-vocab/--tgt-vocab)")
    dl4j_to_twin(model, params, settings["layers"])
    print(f"Initial weights from {path} (DL4J, epoch {meta['epoch']})", flush=True)


def dl4j_settings(meta, java_settings):
    """The twin's settings for a plain DL4J checkpoint (read_dl4j_model refuses SN ones)."""
    c = meta["config"]
    return {**DEFAULTS, "layers": int(c["layers"]), "hidden": int(c["hidden"]),
            "embedding": int(c["embedding"]), "seed": int(c["seed"]),
            "dropout": float(c.get("dropout", 0.0)), "lr": float(c["lr"]),
            "clip": float(c["clip"]),
            "reverse": java_settings["reverse"] == "true",
            "max_len": int(java_settings["maxLen"])}


def load_translator(path, data=None):
    """The twin's translator of a checkpoint: the twin's checkpoint.pt / best.pt, or DL4J's
    model.zip / best.zip (state architecture, no SN; its rare-word dictionary relearned from
    DATA's training split, whose vocabularies must be the checkpoint's)."""
    torch = _torch()
    if str(path).endswith(".zip"):
        meta, java_settings, words, params = read_dl4j_model(path)
        settings = dl4j_settings(meta, java_settings)
        sv, tv = Vocabulary(words["srcVocab"]), Vocabulary(words["tgtVocab"])
        data = data or "data/ddtp"
        _, train_src, train_tgt = prepare_training(data, settings)
        if (Vocabulary.build(train_src, len(sv) - 3).words != sv.words
                or Vocabulary.build(train_tgt, len(tv) - 3).words != tv.words):
            raise SystemExit(f"{path}: its vocabularies are not those of the training split in "
                             f"{data}: another seed's split or another corpus")
        model = build_model(settings, len(sv), len(tv))
        dl4j_to_twin(model, params, settings["layers"])
        model.eval()
        ckpt = {"epoch": meta["epoch"], "framework": "dl4j weights, pytorch " + torch.__version__}
        rare = RareWords.learn(train_src, train_tgt, sv)
        return Translator(model, sv, tv, rare, settings), ckpt
    ckpt = torch.load(path)
    sv, tv = Vocabulary(ckpt["src_vocab"]), Vocabulary(ckpt["tgt_vocab"])
    model = build_model(ckpt["settings"], len(sv), len(tv))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return Translator(model, sv, tv, RareWords(ckpt["rare_words"]), ckpt["settings"]), ckpt


def cmd_eval(a):
    torch = _torch()
    torch.set_num_threads(a.threads)
    if a.beam < 1 or a.limit < 0:
        raise SystemExit(f"--beam must be >= 1 and --limit >= 0, got {a.beam} and {a.limit}")
    tr, ckpt = load_translator(a.checkpoint, a.data)
    pairs = read_split(a.data, a.split)
    if a.limit:
        pairs = pairs[:a.limit]
    result = {"checkpoint": str(a.checkpoint), "epoch": ckpt["epoch"], "split": a.split,
              "sentences": len(pairs), "settings": tr.settings, "framework": ckpt["framework"]}
    para = None
    if a.paragraph_dictionary:
        para = paragraph_dictionary(a.data, tr.src_vocab,
                                    {w for p in pairs for w in tokenize(p[1])})
    if para is not None:
        result["paragraphDictionaryEntries"] = len(para.dictionary)
    t0 = time.time()
    g = tr.evaluate(pairs, paragraphs=para)
    result.update(greedyBleu=g["bleu"], greedyRareWordBleu=g["bleu_rare"],
                  greedyRareWordIdentityBleu=g["bleu_identity"], greedySeconds=time.time() - t0)
    if para is not None:
        result["greedyRareWordParagraphsBleu"] = g["bleu_paragraphs"]
    print(f"{a.split} BLEU greedy: {100 * g['bleu']:.2f}, greedy + rare-word step: "
          f"{100 * g['bleu_rare']:.2f} (identity only: {100 * g['bleu_identity']:.2f}, "
          f"paragraph dictionary: {100 * g.get('bleu_paragraphs', math.nan):.2f}) "
          f"({len(pairs)} sentences)", flush=True)
    best = g
    if a.beam > 1:
        t0 = time.time()
        best = tr.evaluate(pairs, a.beam, a.length_norm, a.length_alpha, progress=100,
                           paragraphs=para)
        result.update(beam=a.beam, lengthNorm=a.length_norm, lengthAlpha=a.length_alpha,
                      beamBleu=best["bleu"], beamRareWordBleu=best["bleu_rare"],
                      beamRareWordIdentityBleu=best["bleu_identity"],
                      beamSeconds=time.time() - t0)
        if para is not None:
            result["beamRareWordParagraphsBleu"] = best["bleu_paragraphs"]
        print(f"{a.split} BLEU beam {a.beam} (length norm {a.length_norm}): "
              f"{100 * best['bleu']:.2f}, beam + rare-word step: {100 * best['bleu_rare']:.2f} "
              f"(identity only: {100 * best['bleu_identity']:.2f}, paragraph dictionary: "
              f"{100 * best.get('bleu_paragraphs', math.nan):.2f})", flush=True)
    out = Path(a.out) if a.out else Path(a.checkpoint).parent / f"eval-{a.split}.json"
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    with open(out.with_suffix(".tsv"), "w", encoding="utf-8") as f:
        for i, (p, raw, rare) in enumerate(zip(pairs, best["raw"], best["rare"])):
            extra = "\t" + " ".join(best["rare_paragraphs"][i]) if para is not None else ""
            f.write(f"{p[1]}\t{' '.join(raw)}\t{' '.join(rare)}\t{p[2]}{extra}\n")
    print(f"Wrote {out} and {out.with_suffix('.tsv')}", flush=True)
    return 0


SATURATED = 3.0


def gate_statistics(model, examples, batch_size=64, top_outputs=None):
    """Per LSTM layer (enc0.., dec0..) of the twin's model, over the real steps of the examples
    (teacher-forced, no dropout): each gate's pre-activation z = x W + h RW + b, its root mean
    square, mean activation and shares beyond +-SATURATED; z's parts and the cell states' rms
    (Java: GateStatistics). The weights as the forward pass uses them (SN-normalized where on).
    top_outputs, a list: gets the top decoder layer's outputs [B, Tt, H] of each batch."""
    torch = _torch()
    model.eval()
    h_size = model.encoder.hidden_size
    acc = collections.defaultdict(lambda: collections.defaultdict(float))

    def run(lstm, name, x, lengths, state):
        """x [B, T, in]; real steps t < lengths[i]; returns outputs and each row's final (h, c)
        at its last real step, per layer."""
        b, steps = x.shape[0], x.shape[1]
        real = (torch.arange(steps)[None, :] < lengths[:, None])  # [B, T]
        finals = []
        for k in range(lstm.num_layers):
            w = getattr(lstm, f"weight_ih_l{k}").double()
            rw = getattr(lstm, f"weight_hh_l{k}").double()
            bias = (getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")).double()
            h, c = ((torch.zeros(b, h_size, dtype=torch.double),) * 2 if state is None
                    else (state[0][k].double(), state[1][k].double()))
            hs, h_last, c_last = [], h.clone(), c.clone()
            a = acc[f"{name}{k}"]
            for t in range(steps):
                xin, rec = x[:, t] @ w.T, h @ rw.T
                z = xin + rec + bias
                m = real[:, t]
                zr = z[m]
                for g, gate in enumerate("ifgo"):
                    zg = zr[:, g * h_size:(g + 1) * h_size]
                    a[f"sq_{gate}"] += float((zg ** 2).sum())
                    act = torch.tanh(zg) if gate == "g" else torch.sigmoid(zg)
                    a[f"act_{gate}"] += float(act.sum())
                    a[f"high_{gate}"] += float((zg > SATURATED).sum())
                    a[f"low_{gate}"] += float((zg < -SATURATED).sum())
                a["in"] += float((xin[m] ** 2).sum())
                a["rec"] += float((rec[m] ** 2).sum())
                a["bias"] += float((bias ** 2).sum()) * int(m.sum())
                i, f, g, o = z.chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                a["cell"] += float((c[m] ** 2).sum())
                a["steps"] += int(m.sum())
                last = (lengths - 1 == t)
                h_last[last], c_last[last] = h[last], c[last]
                hs.append(h)
            x = torch.stack(hs, dim=1)
            finals.append((h_last, c_last))
        return (torch.stack([f[0] for f in finals]), torch.stack([f[1] for f in finals])), x

    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            src, lengths, tgt_in, labels = pad_batch(examples[i:i + batch_size])
            state, _ = run(model.encoder, "enc", model.src_embed(src).double(), lengths, None)
            tgt_len = (labels != PAD).sum(dim=1)
            _, y = run(model.decoder, "dec", model.tgt_embed(tgt_in).double(), tgt_len, state)
            if top_outputs is not None:
                top_outputs.append(y)
    layers = {}
    for name in acc:  # encoder layers first
        a = acc[name]
        units = a["steps"] * h_size
        sat = sum(a[f"high_{g}"] + a[f"low_{g}"] for g in "ifgo") / (4 * units)
        layers[name] = {
            "steps": int(a["steps"]), "saturated": sat,
            "rmsInput": math.sqrt(a["in"] / (4 * units)),
            "rmsRecurrent": math.sqrt(a["rec"] / (4 * units)),
            "rmsBias": math.sqrt(a["bias"] / (4 * units)),
            "rmsCell": math.sqrt(a["cell"] / units),
            "gates": {g: {"rms": math.sqrt(a[f"sq_{g}"] / units),
                          "meanActivation": a[f"act_{g}"] / units,
                          "high": a[f"high_{g}"] / units, "low": a[f"low_{g}"] / units}
                      for g in "ifgo"}}
    return layers


def cmd_gates(a):
    """Gate statistics of a checkpoint's LSTMs on a split (TranslationExample gates)."""
    torch = _torch()
    torch.set_num_threads(a.threads)
    if a.limit < 0:
        raise SystemExit(f"--limit must be >= 0, got {a.limit}")
    tr, ckpt = load_translator(a.checkpoint, a.data)
    pairs = read_split(a.data, a.split)
    if a.limit:
        pairs = pairs[:a.limit]
    st = tr.settings
    examples = encode_pairs(pairs, tr.src_vocab, tr.tgt_vocab, st["reverse"], st["max_len"])
    layers = gate_statistics(tr.model, examples)
    result = {"checkpoint": str(a.checkpoint), "epoch": ckpt["epoch"], "split": a.split,
              "sentences": len(pairs), "settings": st, "saturatedBeyond": SATURATED,
              "layers": layers}
    print(f"{'layer':6} {'switched':>8} {'switched f':>10} {'rms z i':>8} {'rms z f':>8} "
          f"{'rms z g':>8}")
    for name, s in layers.items():
        f = s["gates"]["f"]
        print(f"{name:6} {100 * s['saturated']:7.1f}% {100 * (f['high'] + f['low']):9.1f}% "
              f"{s['gates']['i']['rms']:8.2f} {f['rms']:8.2f} {s['gates']['g']['rms']:8.2f}")
    out = Path(a.out) if a.out else Path(a.checkpoint).parent / f"gates-{a.split}.json"
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"Wrote {out}", flush=True)
    return 0


def cmd_rare_report(a):
    """What the rare-word step does to a decoded split: from an eval TSV (source, raw output,
    output after the step with the model's dictionary, reference, and, when present, output after
    the step with the paragraph dictionary), the <unk>s of the raw output, how many were replaced
    and how many deleted (no out-of-vocabulary source word left to align), and how many
    replacements occur in the reference."""
    rows = [line.rstrip("\n").split("\t") for line in open(a.tsv, encoding="utf-8")]
    if not rows or len(rows[0]) < 4:
        raise SystemExit(f"{a.tsv}: expected the TSV that eval writes (4 or 5 columns)")
    out = {"tsv": a.tsv, "sentences": len(rows), "unk": 0, "replaced": 0, "deleted": 0,
           "replacedInReference": 0}
    has_para = len(rows[0]) >= 5
    if has_para:
        out.update(paragraphReplacedInReference=0, paragraphChanged=0)
    def words(text):  # the TSV joins tokens with " "; a token may be U+00A0 (French spacing)
        return [w for w in text.split(" ") if w]

    for r in rows:
        raw, ref = words(r[1]), set(tokenize(r[3]))
        kept = collections.Counter(w for w in raw if w != SPECIALS[UNK])
        added = collections.Counter(words(r[2])) - kept
        n_unk = raw.count(SPECIALS[UNK])
        out["unk"] += n_unk
        out["replaced"] += sum(added.values())
        out["deleted"] += n_unk - sum(added.values())
        out["replacedInReference"] += sum(c for w, c in added.items() if w in ref)
        if has_para:
            para = collections.Counter(words(r[4])) - kept
            out["paragraphReplacedInReference"] += sum(c for w, c in para.items() if w in ref)
            out["paragraphChanged"] += sum((para - added).values())
    # BLEU without the U+00A0 tokens that French typography puts before ":", "!", "?", "»"
    # and after "«" (the tokenizer keeps them as words, as the Java one: 2.9% of the reference
    # tokens), on both sides: the easy tokens removed.
    nb = "\u00a0"
    refs = [[[w for w in tokenize(r[3]) if w != nb]] for r in rows]
    for key, col in (("bleuRawWithoutNbsp", 1), ("bleuRareWordWithoutNbsp", 2)):
        out[key] = corpus_bleu(refs, [[w for w in words(r[col]) if w != nb] for r in rows])
    print(json.dumps(out, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0


def cmd_translate(a):
    torch = _torch()
    torch.set_num_threads(a.threads)
    tr, _ = load_translator(a.checkpoint, getattr(a, "data", None))
    tokens = tokenize(a.text)
    if not tokens:
        raise SystemExit(f"nothing to translate in '{a.text}'")
    words = tr.decode([tokens], a.beam, a.length_norm, a.length_alpha)[0]
    if not a.no_rare_word:
        words = tr.rare.replace(words, tokens, tr.src_vocab)
    print(" ".join(words))
    return 0


def cmd_bench(a):
    """ms per update (wall clock, and CPU time of this process) on the first batches of epoch 1
    at the given configuration: forward, backward, clipping and the Adam step."""
    torch = _torch()
    torch.set_num_threads(a.threads)
    settings = settings_from(a)
    _, src, tgt = prepare_training(a.data, settings)
    sv = Vocabulary.build(src, settings["src_vocab"])
    tv = Vocabulary.build(tgt, settings["tgt_vocab"])
    torch.manual_seed(settings["seed"])
    model = build_model(settings, len(sv), len(tv))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=settings["lr"])
    ml = settings["max_len"]
    train = [(encode_source(s, sv, settings["reverse"], ml), encode_target(t, tv, ml))
             for s, t in zip(src, tgt)]
    batches = epoch_batches(train, settings["batch_size"], JavaRandom(settings["seed"]))
    times, cpu, words = [], [], []
    for b, idx in enumerate(batches[:a.warmup + a.updates]):
        t0, c0 = time.perf_counter(), time.process_time()
        loss, n = batch_loss(model, [train[i] for i in idx])
        opt.zero_grad()
        (loss / len(idx)).backward()
        clip_gradients(model, settings)
        opt.step()
        if b >= a.warmup:
            times.append(1000 * (time.perf_counter() - t0))
            cpu.append(1000 * (time.process_time() - c0))
            words.append(n)
    result = {"framework": "pytorch " + torch.__version__, "threads": a.threads,
              "settings": settings, "vocab": [len(sv), len(tv)], "updates": len(times),
              "warmup": a.warmup, "msPerUpdateMean": statistics.mean(times),
              "msPerUpdateMedian": statistics.median(times), "msPerUpdateMin": min(times),
              "msPerUpdateMax": max(times), "cpuMsPerUpdateMean": statistics.mean(cpu),
              "cpuMsPerUpdateMedian": statistics.median(cpu),
              "targetWordsPerBatchMean": statistics.mean(words), "msPerUpdate": times,
              "loadavg": os.getloadavg()}
    print(json.dumps(result, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)
    return 0


# ------------------------------------------------------------------------------------------------
# Cross-check against the Java classes

JAVA_DUMP = r"""
package io.github.dl4jsn.examples.translation;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.*;

/** Records of the translation example's data pipeline, for translation_twin.py. */
public final class TwinDump {
  static PrintStream out;

  static void rec(Object... f) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < f.length; i++) {
      b.append(i == 0 ? "" : "\t").append(f[i]);
    }
    out.println(b);
  }

  static List<List<String>> tok(List<ParallelCorpus.Pair> ps, boolean src) {
    List<List<String>> r = new ArrayList<>();
    for (ParallelCorpus.Pair p : ps) {
      r.add(Tokenizer.tokenize(src ? p.source() : p.target()));
    }
    return r;
  }

  static String ints(int[] a) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < a.length; i++) {
      b.append(i == 0 ? "" : " ").append(a[i]);
    }
    return b.toString();
  }

  // args: out train eval srcK tgtK maxLen batchSize seed epochs batches(0/1) name=file...
  public static void main(String[] a) throws Exception {
    out = new PrintStream(new BufferedOutputStream(new FileOutputStream(a[0])), false,
        StandardCharsets.UTF_8);
    List<ParallelCorpus.Pair> train = ParallelCorpus.read(Path.of(a[1]));
    List<ParallelCorpus.Pair> eval = ParallelCorpus.read(Path.of(a[2]));
    int srcK = Integer.parseInt(a[3]);
    int tgtK = Integer.parseInt(a[4]);
    int maxLen = Integer.parseInt(a[5]);
    int batchSize = Integer.parseInt(a[6]);
    long seed = Long.parseLong(a[7]);
    int epochs = Integer.parseInt(a[8]);
    boolean batches = a[9].equals("1");
    for (int k = 10; k < a.length; k++) {
      String[] nf = a[k].split("=", 2);
      List<ParallelCorpus.Pair> ps = ParallelCorpus.read(Path.of(nf[1]));
      for (int i = 0; i < ps.size(); i++) {
        rec("TOK", nf[0], i, "src", String.join(" ", Tokenizer.tokenize(ps.get(i).source())));
        rec("TOK", nf[0], i, "tgt", String.join(" ", Tokenizer.tokenize(ps.get(i).target())));
      }
    }
    List<List<String>> trainSrc = tok(train, true);
    List<List<String>> trainTgt = tok(train, false);
    Vocabulary sv = Vocabulary.build(trainSrc, srcK);
    Vocabulary tv = Vocabulary.build(trainTgt, tgtK);
    rec("VOC", "src", String.join(" ", sv.words()));
    rec("VOC", "tgt", String.join(" ", tv.words()));
    rec("VOC", "srcall", String.join(" ", Vocabulary.build(trainSrc, Integer.MAX_VALUE).words()));
    rec("VOC", "tgtall", String.join(" ", Vocabulary.build(trainTgt, Integer.MAX_VALUE).words()));
    RareWords rare = RareWords.learn(trainSrc, trainTgt, sv);
    rec("RWN", rare.size());
    List<List<String>> evalSrc = tok(eval, true);
    List<List<String>> evalTgt = tok(eval, false);
    TreeSet<String> words = new TreeSet<>();
    trainSrc.forEach(words::addAll);
    evalSrc.forEach(words::addAll);
    for (String w : words) {
      if (!sv.contains(w)) {
        rec("RW", w, rare.translate(w));
      }
    }
    List<List<List<String>>> refs = new ArrayList<>();
    List<List<String>> hyps = new ArrayList<>();
    List<List<String>> reps = new ArrayList<>();
    List<List<String>> idns = new ArrayList<>();
    for (int i = 0; i < eval.size(); i++) {
      refs.add(List.of(evalTgt.get(i)));
      List<String> h = new ArrayList<>();
      for (int j = 0; j < evalTgt.get(i).size(); j++) {
        if (j % 3 != 1) {
          h.add(tv.word(tv.indexOf(evalTgt.get(i).get(j))));
        }
      }
      hyps.add(h);
      reps.add(rare.replace(h, evalSrc.get(i), sv));
      idns.add(RareWords.identity().replace(h, evalSrc.get(i), sv));
      rec("HYP", i, String.join(" ", h));
      rec("REP", i, String.join(" ", reps.get(i)));
      rec("IDN", i, String.join(" ", idns.get(i)));
    }
    rec("BLEU", "raw", Bleu.corpus(refs, hyps));
    rec("BLEU", "rare", Bleu.corpus(refs, reps));
    rec("BLEU", "identity", Bleu.corpus(refs, idns));
    rec("BLEU", "reference", Bleu.corpus(refs, evalTgt));
    if (batches) {
      TwinBatches.dump(trainSrc, trainTgt, evalSrc, sv, tv, maxLen, batchSize, seed, epochs);
    }
    out.close();
  }
}
"""

JAVA_BATCHES = r"""
package io.github.dl4jsn.examples.translation;

import java.util.*;

/** Example.of, Example.encodeSource and Example.batches records (needs ND4J on the classpath). */
final class TwinBatches {
  static void dump(List<List<String>> trainSrc, List<List<String>> trainTgt,
      List<List<String>> evalSrc, Vocabulary sv, Vocabulary tv, int maxLen, int batchSize,
      long seed, int epochs) {
    List<Example> ex = new ArrayList<>();
    IdentityHashMap<Example, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < trainSrc.size(); i++) {
      Example e = Example.of(trainSrc.get(i), trainTgt.get(i), sv, tv, true, maxLen);
      ex.add(e);
      index.put(e, i);
      TwinDump.rec("ENC", i, TwinDump.ints(e.source()) + " | " + TwinDump.ints(e.target()));
    }
    for (int i = 0; i < evalSrc.size(); i++) {
      TwinDump.rec("ENCSRC", i, "rev",
          TwinDump.ints(Example.encodeSource(evalSrc.get(i), sv, true, maxLen)));
      TwinDump.rec("ENCSRC", i, "fwd",
          TwinDump.ints(Example.encodeSource(evalSrc.get(i), sv, false, maxLen)));
    }
    Random rng = new Random(seed);
    for (int e = 0; e < epochs; e++) {
      List<List<Example>> bs = Example.batches(ex, batchSize, rng);
      for (int b = 0; b < bs.size(); b++) {
        StringBuilder s = new StringBuilder();
        for (Example x : bs.get(b)) {
          s.append(s.length() == 0 ? "" : " ").append(index.get(x));
        }
        TwinDump.rec("BATCH", e, b, s);
      }
    }
  }
}
"""

JAVA_NO_BATCHES = r"""
package io.github.dl4jsn.examples.translation;

import java.util.*;

final class TwinBatches {
  static void dump(List<List<String>> trainSrc, List<List<String>> trainTgt,
      List<List<String>> evalSrc, Vocabulary sv, Vocabulary tv, int maxLen, int batchSize,
      long seed, int epochs) {
    throw new IllegalStateException("compiled without ND4J");
  }
}
"""


def python_records(train, evalp, token_files, p):
    """The records TwinDump writes, computed by this twin: {key tuple: value}."""
    rec = {}
    for name, pairs in token_files:
        for i, (_, s, t) in enumerate(pairs):
            rec[("TOK", name, str(i), "src")] = " ".join(tokenize(s))
            rec[("TOK", name, str(i), "tgt")] = " ".join(tokenize(t))
    train_src = [tokenize(x[1]) for x in train]
    train_tgt = [tokenize(x[2]) for x in train]
    sv = Vocabulary.build(train_src, p["src_vocab"])
    tv = Vocabulary.build(train_tgt, p["tgt_vocab"])
    rec[("VOC", "src")] = " ".join(sv.words)
    rec[("VOC", "tgt")] = " ".join(tv.words)
    rec[("VOC", "srcall")] = " ".join(Vocabulary.build(train_src, 2 ** 31 - 1).words)
    rec[("VOC", "tgtall")] = " ".join(Vocabulary.build(train_tgt, 2 ** 31 - 1).words)
    rare = RareWords.learn(train_src, train_tgt, sv)
    rec[("RWN",)] = str(len(rare.dictionary))
    eval_src = [tokenize(x[1]) for x in evalp]
    eval_tgt = [tokenize(x[2]) for x in evalp]
    for w in {w for s in train_src + eval_src for w in s}:
        if not sv.contains(w):
            rec[("RW", w)] = rare.translate(w)
    refs, hyps, reps, idns = [], [], [], []
    for i, (s, t) in enumerate(zip(eval_src, eval_tgt)):
        refs.append([t])
        h = [tv.words[tv.index_of(w)] for j, w in enumerate(t) if j % 3 != 1]
        hyps.append(h)
        reps.append(rare.replace(h, s, sv))
        idns.append(RareWords().replace(h, s, sv))
        rec[("HYP", str(i))] = " ".join(h)
        rec[("REP", str(i))] = " ".join(reps[-1])
        rec[("IDN", str(i))] = " ".join(idns[-1])
    rec[("BLEU", "raw")] = corpus_bleu(refs, hyps)
    rec[("BLEU", "rare")] = corpus_bleu(refs, reps)
    rec[("BLEU", "identity")] = corpus_bleu(refs, idns)
    rec[("BLEU", "reference")] = corpus_bleu(refs, eval_tgt)
    if p["batches"]:
        ml = p["max_len"]
        ex = [(encode_source(s, sv, True, ml), encode_target(t, tv, ml))
              for s, t in zip(train_src, train_tgt)]
        for i, (s, t) in enumerate(ex):
            rec[("ENC", str(i))] = " ".join(map(str, s)) + " | " + " ".join(map(str, t))
        for i, s in enumerate(eval_src):
            rec[("ENCSRC", str(i), "rev")] = " ".join(map(str, encode_source(s, sv, True, ml)))
            rec[("ENCSRC", str(i), "fwd")] = " ".join(map(str, encode_source(s, sv, False, ml)))
        rnd = JavaRandom(p["seed"])
        for e in range(p["epochs"]):
            for b, idx in enumerate(epoch_batches(ex, p["batch_size"], rnd)):
                rec[("BATCH", str(e), str(b))] = " ".join(map(str, idx))
    return rec


def compare_records(java, py):
    """Per record kind: (agreeing, total, first disagreements)."""
    kinds = collections.OrderedDict()
    for key in sorted(set(java) | set(py), key=lambda k: (k[0], k[1:])):
        ok = key in java and key in py
        if ok and key[0] == "BLEU":
            j, q = float(java[key]), float(py[key])
            ok = abs(j - q) <= 1e-12 * max(1.0, abs(j)) if abs(j) > 1e-100 else \
                abs(j - q) <= 1e-12 * max(abs(j), sys.float_info.min)
        elif ok:
            ok = java[key] == py[key]
        agree, total, bad = kinds.get(key[0], (0, 0, []))
        if not ok and len(bad) < 5:
            bad = bad + [(key, java.get(key), py.get(key))]
        kinds[key[0]] = (agree + ok, total + 1, bad)
    return kinds


def run_java_dump(train_file, eval_file, token_files, p, classpath):
    """Compiles the Java example's classes from the sources with TwinDump and runs it."""
    if shutil.which("javac") is None:
        raise SystemExit("crosscheck-java needs a JDK (javac, java) on PATH")
    with tempfile.TemporaryDirectory(prefix="translation-twin-") as tmp:
        tmp = Path(tmp)
        src = tmp / "src"
        src.mkdir()
        (src / "TwinDump.java").write_text(JAVA_DUMP)
        (src / "TwinBatches.java").write_text(JAVA_BATCHES if p["batches"] else JAVA_NO_BATCHES)
        names = ["Tokenizer", "Vocabulary", "RareWords", "Bleu", "ParallelCorpus"]
        if p["batches"]:
            names.append("Example")
        sources = [str(JAVA_DIR / (n + ".java")) for n in names]
        sources += [str(src / "TwinDump.java"), str(src / "TwinBatches.java")]
        cp = ["-cp", classpath] if classpath else []
        subprocess.run(["javac", "-encoding", "UTF-8", "-d", str(tmp / "classes")] + cp + sources,
                       check=True)
        dump = tmp / "dump.tsv"
        run_cp = str(tmp / "classes") + (":" + classpath if classpath else "")
        args = [str(dump), str(train_file), str(eval_file), str(p["src_vocab"]),
                str(p["tgt_vocab"]), str(p["max_len"]), str(p["batch_size"]), str(p["seed"]),
                str(p["epochs"]), "1" if p["batches"] else "0"]
        args += [f"{n}={f}" for n, f in token_files]
        subprocess.run(["java", "-Xmx2g", "-cp", run_cp,
                        "io.github.dl4jsn.examples.translation.TwinDump"] + args, check=True)
        with open(dump, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
    rec = {}
    for line in lines:
        if line:
            fields = line.split("\t")
            rec[tuple(fields[:-1])] = fields[-1]
    return rec


# A made-up corpus of awkward cases for the Java fixture (not Debian data).
MINI_TRAIN = [
    ("m01", "Scriptable screen reader", "lecteur d\u2019\u00e9cran scriptable"),
    ("m02", "GTK+ bindings for X.Org (UTF-8)", "liaisons GTK+ pour X.Org (UTF-8)"),
    ("m03", "L'exemple d'abord jusqu'\u00e0 lorsqu'il puisqu'on qu'il",
     "l'exemple d'abord jusqu'\u00e0 lorsqu'il puisqu'on qu'il"),
    ("m04", "presqu'\u00eele aujourd'hui c' d' l'1 1l'a 'quoted'",
     "presqu'\u00eele aujourd'hui c' d' l'1 1l'a 'cit\u00e9'"),
    ("m05", "L\u2019\u00c9CRAN \u02bcN foo", "L\u2019\u00c9CRAN \u02bcN libfoo"),
    ("m06", "valeur\u00a0: \u00ab test \u00bb\u202f!", "valeur\u00a0: \u00ab essai \u00bb\u202f!"),
    ("m07", "e\u0301cran de\u0301compose\u0301 Caf\u00e9",
     "\u00e9cran d\u00e9compos\u00e9 caf\u00e9"),
    ("m08", "\u039f\u0394\u039f\u03a3 \u03a3\u039f\u03a6\u039f\u03a3 \u0130stanbul \u1e9e",
     "\u03bf\u03b4\u03bf\u03c2 \u0130STANBUL stra\u00dfe"),
    ("m09", "emoji \U0001f600 math \U0001d538\U0001d539 \u4e2d\u6587 \u2170\u216b \u00bd \u0663",
     "\uff5a\uff5a \U0001f600 \u4e2d\u6587 \u2170\u216b \u00bd \u0663"),
    ("m10", "foo--bar a.b. c++ x/y/z _under_ a_b 1.2.3-4 +++ gnome-shell-extension x.org.",
     "foo--bar a.b. c++ x/y/z _under_ a_b 1.2.3-4 +++ gnome-shell-extension x.org."),
    ("m11", "C'est s'il t'as m'a n'est j'ai \ufb01le \u01c4",
     "c'est s'il t'as m'a n'est j'ai \ufb01le \u01c4"),
    ("m12", "libfoo tools for libbar", "\uff5a\uff5a \U0001f600 outils pour libbar"),
    ("m13", "libfoo data and libbar", "\uff5a\uff5a \U0001f600 donn\u00e9es et libbar"),
    ("m14", "zlib zlib zlib zlib", "zlib compression zlib"),
    ("m15", "zlib library", "biblioth\u00e8que zlib compression"),
    ("m16", "", "vide"),
    ("m17", "a\u000bb\u000cc d\u2028e f\u0085g h\u3000i",
     "a\u000bb\u000cc d\u2028e f\u0085g h\u3000i"),
    ("m18", "one two three four five six seven eight nine ten eleven",
     "un deux trois quatre cinq six sept huit neuf dix onze"),
    ("m19", "xyzzy plugh libfoo libbar zlib", "xyzzy plugh \uff5a\uff5a zlib"),
    ("m20", "libqux screen reader libqux", "lecteur libqux"),
    ("m21", "libqux and libquux", "libqux et libquux"),
    # A Dice tie (2 pairs each, Dice 1) decided by Java's UTF-16 order: U+1F63A < U+FF57 there.
    ("m22", "libtie", "\uff57\uff57 \U0001f63a"),
    ("m23", "libtie", "\U0001f63a \uff57\uff57"),
]
MINI_EVAL = [
    ("e1", "libfoo screen reader for libbar and zlib",
     "lecteur d'\u00e9cran \uff5a\uff5a pour libbar et zlib"),
    ("e2", "xyzzy libnew libfoo libother", "xyzzy \uff5a\uff5a libnew libother"),
    ("e3", "GTK+ l\u2019exemple", "l'exemple GTK+ (UTF-8)"),
    ("e4", "", ""),
    ("e5", "libqux screen reader", "lecteur d'\u00e9cran pour libqux"),
    ("e6", "libtie screen", "\U0001f63a \u00e9cran"),
]
MINI_PARAMS = {"src_vocab": 12, "tgt_vocab": 10, "max_len": 6, "batch_size": 3, "seed": 7,
               "epochs": 2, "batches": True}


def write_tsv(pairs, path):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for p in pairs:
            f.write("\t".join(p) + "\n")


def cmd_crosscheck(a):
    classpath = a.classpath
    if classpath is None and a.classpath_file and Path(a.classpath_file).is_file():
        classpath = Path(a.classpath_file).read_text().strip()
    if a.write_fixture:
        if not classpath:
            raise SystemExit("--write-fixture needs the ND4J classpath (--classpath-file)")
        with tempfile.TemporaryDirectory() as tmp:
            tr, ev = Path(tmp) / "train.tsv", Path(tmp) / "eval.tsv"
            write_tsv(MINI_TRAIN, tr)
            write_tsv(MINI_EVAL, ev)
            java = run_java_dump(tr, ev, [("train", tr), ("eval", ev)], MINI_PARAMS, classpath)
        fixture = {"generated_by": "benchmarks/translation_twin.py crosscheck-java "
                                   "--write-fixture (Java classes compiled from the sources)",
                   "params": MINI_PARAMS, "train": MINI_TRAIN, "eval": MINI_EVAL,
                   "records": [list(k) + [v] for k, v in java.items()]}
        with open(a.write_fixture, "w", encoding="utf-8") as f:
            json.dump(fixture, f, indent=0, ensure_ascii=True)
        print(f"Wrote {a.write_fixture}: {len(java)} records")
        return 0
    p = {"src_vocab": a.src_vocab, "tgt_vocab": a.tgt_vocab, "max_len": a.max_len,
         "batch_size": a.batch_size, "seed": a.seed, "epochs": a.epochs,
         "batches": bool(classpath)}
    if not classpath:
        print("No ND4J classpath: Example.of/encodeSource/batches are not checked "
              "(give --classpath-file dl4j-sn-examples/target/classpath.txt)")
    d = Path(a.data) / "short"
    for s in ("train", "valid", "test"):
        read_split(a.data, s)
    files = [(s, d / f"{s}.tsv") for s in ("train", "valid", "test")]
    t0 = time.time()
    java = run_java_dump(d / "train.tsv", d / "test.tsv", files, p, classpath)
    t1 = time.time()
    py = python_records(read_pairs(d / "train.tsv"), read_pairs(d / "test.tsv"),
                        [(n, read_pairs(f)) for n, f in files], p)
    t2 = time.time()
    return report_comparison(compare_records(java, py),
                             f"Java {t1 - t0:.0f} s, Python {t2 - t1:.0f} s", a.out)


def report_comparison(kinds, note, out=None):
    ok = True
    summary = {}
    for kind, (agree, total, bad) in kinds.items():
        summary[kind] = {"agree": agree, "total": total}
        print(f"{kind:7s} {agree}/{total} agree" + ("" if agree == total else " <-- DIFFERS"))
        for key, j, q in bad:
            print(f"   {key}: java {j!r} python {q!r}")
        ok &= agree == total
    print(("all records agree" if ok else "DISAGREEMENT") + f" ({note})")
    if out:
        with open(out, "w") as f:
            json.dump({"agree": ok, "kinds": summary, "note": note}, f, indent=1)
    return 0 if ok else 1


# ------------------------------------------------------------------------------------------------
# Self-test

def self_test(a):
    torch = _torch()
    torch.set_num_threads(1)
    failures = []

    def check(name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + (f": {detail}" if detail else ""),
              flush=True)
        if not cond:
            failures.append(name)

    # 1. BLEU against NLTK 3.8 (the Java BleuTest fixtures), to 1e-12.
    fx = json.loads(BLEU_FIXTURES.read_text())
    for c in fx["cases"]:
        ours = corpus_bleu(c["references"], c["hypotheses"])
        tol = 1e-12 * max(c["nltk"], sys.float_info.min) if c["nltk"] < 1e-100 else 1e-12
        check(f"BLEU nltk '{c['name']}'", abs(ours - c["nltk"]) <= tol,
              f"{ours!r} vs {c['nltk']!r}")
    check("BLEU brevity penalty", brevity_penalty(10, 11) == 1 and brevity_penalty(10, 0) == 0
          and abs(brevity_penalty(10, 5) - math.exp(-1)) < 1e-15)

    # 2. Java's own outputs on the awkward mini corpus (tokens, vocabularies with UTF-16 ties,
    # Dice dictionary, rare-word replacement, BLEU, Example encoding, java.util.Random batches).
    fj = json.loads(JAVA_FIXTURES.read_text(encoding="utf-8"))
    java = {tuple(r[:-1]): r[-1] for r in fj["records"]}
    py = python_records([tuple(x) for x in fj["train"]], [tuple(x) for x in fj["eval"]],
                        [("train", [tuple(x) for x in fj["train"]]),
                         ("eval", [tuple(x) for x in fj["eval"]])], fj["params"])
    for kind, (agree, total, bad) in compare_records(java, py).items():
        check(f"Java fixture {kind}", agree == total, f"{agree}/{total}"
              + (f" first: {bad[0]}" if bad else ""))
    check("tokenizer examples",
          tokenize("lecteur d\u2019\u00e9cran") == ["lecteur", "d'", "\u00e9cran"]
          and tokenize("GTK+ x.org utf-8.") == ["gtk+", "x.org", "utf-8", "."])
    r = JavaRandom(42)  # values printed by Java 17
    got = [r.next_int(10) for _ in range(5)] + [r.next_int(64) for _ in range(3)]
    got += [r.next_int(1 << 30), JavaRandom(-3).next_int(7)]
    order = list(range(10))
    JavaRandom(1).shuffle(order)
    check("java.util.Random nextInt and Collections.shuffle",
          got == [0, 3, 8, 4, 0, 60, 17, 45, 714627759, 2]
          and order == [6, 9, 7, 8, 4, 2, 0, 3, 1, 5], f"{got} {order}")

    # 3. The model: padding does not change the encoder state; step decoding gives the
    # teacher-forced output; SN matrices and power iterations; beam search.
    for sn in (False, True):
        s = dict(DEFAULTS, layers=2, hidden=7, embedding=6, sn=sn)
        torch.manual_seed(3)
        m = build_model(s, 12, 9).eval()
        ex = [([5, 4, 3, 7, 2], [3, 4, 5, 2]), ([8, 2], [6, 2]),
              ([9, 10, 11, 2], [8, 7, 3, 4, 5, 2])]
        src, lengths, tgt_in, labels = pad_batch(ex)
        with torch.no_grad():
            h, c = m.encode(src, lengths)
            full = torch.log_softmax(m(src, lengths, tgt_in), -1)
            err_enc = err_step = 0.0
            for i, (si, ti) in enumerate(ex):
                s1, l1, _, _ = pad_batch([(si, ti)])
                h1, c1 = m.encode(s1, l1)
                err_enc = max(err_enc, float((h1[:, 0] - h[:, i]).abs().max()),
                              float((c1[:, 0] - c[:, i]).abs().max()))
                state = (h1, c1)
                prev = torch.tensor([EOS])
                for t in range(len(ti)):
                    logp, state = m.step(prev, state)
                    err_step = max(err_step, float((logp[0] - full[i, t]).abs().max()))
                    prev = torch.tensor([ti[t]])
        check(f"encoding alone = in a padded batch (sn {sn})", err_enc < 1e-6, f"{err_enc:.1e}")
        check(f"step decoding = teacher-forced output (sn {sn})", err_step < 1e-5,
              f"{err_step:.1e}")
        tops = []
        stats = gate_statistics(m, ex, top_outputs=tops)
        with torch.no_grad():
            y, _ = m.decoder(m.tgt_embed(tgt_in), (h, c))
        real = (labels != PAD)
        err_gates = float((tops[0][real] - y.double()[real]).abs().max())
        check(f"gate statistics: their LSTM loop = nn.LSTM, real steps only (sn {sn})",
              err_gates < 1e-6 and stats["enc1"]["steps"] == 11
              and stats["dec0"]["steps"] == 12, f"{err_gates:.1e} {stats['dec0']['steps']}")
    s = dict(DEFAULTS, layers=2, hidden=7, embedding=6, sn=True)
    torch.manual_seed(4)
    m = build_model(s, 12, 9)
    names = sorted(n for n, _ in m.named_parameters() if n.endswith(".original"))
    check("SN on weight_ih/weight_hh of every layer and the output weight",
          names == sorted([f"{p}.parametrizations.weight_{k}_l{i}.original"
                           for p in ("encoder", "decoder") for k in ("ih", "hh") for i in (0, 1)]
                          + ["out.parametrizations.weight.original"]), str(names))
    par = m.encoder.parametrizations.weight_ih_l1[0]
    w = m.encoder.parametrizations.weight_ih_l1.original.detach()
    u0, v0 = par._u.clone(), par._v.clone()
    m.eval()
    with torch.no_grad():
        m(src, lengths, tgt_in)
    check("SN: no power iteration in eval mode",
          torch.equal(par._u, u0) and torch.equal(par._v, v0))
    m.train()
    m(src, lengths, tgt_in)
    # PyTorch's parametrization: u = normalize(W v), then v = normalize(W^T u).
    nu = torch.nn.functional.normalize(w @ v0, dim=0, eps=par.eps)
    nv = torch.nn.functional.normalize(w.t() @ nu, dim=0, eps=par.eps)
    check("SN: one power iteration per training forward, on the whole [4H, in] matrix",
          torch.allclose(par._u, nu, atol=1e-6) and torch.allclose(par._v, nv, atol=1e-6)
          and tuple(w.shape) == (28, 7))
    sig = float(torch.linalg.matrix_norm(m.encoder.weight_hh_l0.detach(), 2))
    check("SN: the normalized weight_hh has sigma ~ 1 after 15 warm-up iterations",
          abs(sig - 1) < 0.05, f"{sig:.4f}")
    check("biases: forget gate 1 (DL4J), bias_hh frozen at 0",
          float(m.decoder.bias_ih_l0[7:14].min()) == 1.0
          and float(m.decoder.bias_ih_l0.abs()[:7].max()) == 0
          and not m.decoder.bias_hh_l0.requires_grad)

    # DL4J checkpoints: bytes written by Java 17 and ND4J 1.0.0-M2.1 (Nd4j.write of
    # create(new float[] {1..6}, [2, 3], 'c' and 'f') and of the doubles {0.5, -1.25};
    # ObjectOutputStream of a HashMap<String, String> and of Vocabulary.build(["été", "b",
    # "été", "a"], 10)), with the values Java printed.
    head = "00104d495845445f444154415f5459504553"
    c_arr = read_nd4j_array(bytes.fromhex(
        head + "000000000000000800044c4f4e4700000000000000020000000000000002000000000000000300"
        "00000000000003000000000000000100000000000020000000000000000001000000000000006300104d"
        "495845445f444154415f545950455300000000000000060005464c4f41543f80000040000000404000"
        "004080000040a0000040c00000"))
    f_arr = read_nd4j_array(bytes.fromhex(
        head + "000000000000000800044c4f4e4700000000000000020000000000000002000000000000000300"
        "00000000000001000000000000000200000000000020000000000000000001000000000000006600104d"
        "495845445f444154415f545950455300000000000000060005464c4f41543f80000040000000404000"
        "004080000040a0000040c00000"))
    d_arr = read_nd4j_array(bytes.fromhex(
        head + "000000000000000600044c4f4e4700000000000000010000000000000002000000000000000100"
        "00000000004000000000000000000100000000000000630010" + head[4:] + "000000000000000200"
        "06444f55424c453fe0000000000000bff4000000000000"))
    check("ND4J arrays as Nd4j.write wrote them ('c', 'f', double)",
          c_arr.tolist() == [[1, 2, 3], [4, 5, 6]] and f_arr.tolist() == [[1, 3, 5], [2, 4, 6]]
          and d_arr.tolist() == [0.5, -1.25] and d_arr.dtype.kind == "f",
          f"{c_arr.tolist()} {f_arr.tolist()} {d_arr.tolist()}")
    kv = _java_serialized_strings(bytes.fromhex(
        "aced0005737200116a6176612e7574696c2e486173684d61700507dac1c31660d103000246000a6c6f6164"
        "466163746f724900097468726573686f6c6478703f4000000000000c770800000010000000047400047365"
        "656474000137740002736e74000566616c73657400077265766572736571007e00057400066d61784c656e"
        "740002343078"), b"java.util.HashMap", 2)
    words = _java_serialized_strings(bytes.fromhex(
        "aced000573720030696f2e6769746875622e646c346a736e2e6578616d706c65732e7472616e736c617469"
        "6f6e2e566f636162756c61727900000000000000010200014c0005776f7264737400154c6a6176612f7574"
        "696c2f41727261794c6973743b7870737200136a6176612e7574696c2e41727261794c6973747881d21d99"
        "c7619d03000149000473697a657870000000067704000000067400053c7061643e7400053c756e6b3e7400"
        "053c656f733e740005c3a974c3a9740001617400016278"), b"java.util.ArrayList", 0)
    check("Java-serialized settings (a reference to an earlier string) and vocabulary",
          dict(zip(kv[0::2], kv[1::2])) == {"seed": "7", "sn": "false", "reverse": "false",
                                             "maxLen": "40"}
          and words == ["<pad>", "<unk>", "<eos>", "été", "a", "b"], f"{kv} {words}")

    class Toy:
        """A decoder with fixed log-probabilities per (previous word, step)."""

        def __init__(self, v, seed):
            g = torch.Generator().manual_seed(seed)
            self.table = torch.log_softmax(3 * torch.randn(40, v, v, generator=g), -1)
            self.table[:, :, PAD] = -50

        def encode(self, src, lengths):
            return (torch.zeros(1, 1, 1), torch.zeros(1, 1, 1))

        def step(self, prev, state):
            t = int(state[0][0, 0, 0])
            return self.table[t, prev], tuple(x + 1 for x in state)

    def exhaustive(toy, limit, lp):
        best = (None, -math.inf)
        frontier = [([], 0.0)]
        for t in range(limit + 1):
            new = []
            for words, sc in frontier:
                prev = words[-1] if words else EOS
                logp = toy.table[t, prev].double()
                e = (sc + float(logp[EOS])) / lp(len(words) + 1)
                if e > best[1]:
                    best = (words, e)
                if t < limit:
                    new += [(words + [w], sc + float(logp[w])) for w in range(logp.numel())
                            if w not in (PAD, EOS)]
            frontier = new
        return best[0]

    ok = True
    for seed in range(6):
        toy = Toy(5, seed)
        for norm in ("none", "average", "gnmt"):
            got = beam_search(toy, [3, EOS], 10 ** 6, 4, norm)  # limit min(4, 14) = 4
            ok &= got == exhaustive(toy, 4, length_penalty(norm, 0.6))
    check("beam search with an unbounded beam = exhaustive search (3 length norms)", ok)
    torch.manual_seed(5)
    m = build_model(dict(DEFAULTS, layers=2, hidden=16, embedding=8), 20, 15).eval()
    with torch.no_grad():
        m.out.bias[PAD] = -100
        srcs = [[5, 4, 3, 2], [7, 2], [9, 10, 11, 12, 13, 2]]
        g = greedy(m, srcs, 90)
        b1 = [beam_search(m, x, 1, 90) for x in srcs]
    check("beam 1 = greedy (no <pad> in the argmax)", g == b1, f"{g} vs {b1}")

    # 5. Adam's two forms: ND4J's update written out by hand for three steps (double), and
    # torch.optim.Adam's; they differ by epsilon's place only.
    grads = [1e-9, -3e-9, 2e-6]
    ours = {}
    for form in ("pytorch", "nd4j"):
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = make_adam([p], dict(DEFAULTS, lr=0.1, adam=form))
        for g_ in grads:
            p.grad = torch.tensor([g_], dtype=torch.float64)
            opt.step()
        ours[form] = float(p)
    want = {"pytorch": 0.0, "nd4j": 0.0}
    m_ = v_ = 0.0
    for t, g_ in enumerate(grads, 1):
        m_, v_ = 0.9 * m_ + 0.1 * g_, 0.999 * v_ + 0.001 * g_ * g_
        bc1, bc2 = 1 - 0.9 ** t, 1 - 0.999 ** t
        want["nd4j"] -= 0.1 * math.sqrt(bc2) / bc1 * m_ / (math.sqrt(v_) + 1e-8)
        want["pytorch"] -= 0.1 / bc1 * m_ / (math.sqrt(v_) / math.sqrt(bc2) + 1e-8)
    check("Adam forms (ND4J: epsilon before the bias correction) by hand",
          all(abs(ours[f] - want[f]) <= 1e-12 * abs(want[f]) for f in want)
          and abs(ours["nd4j"] - ours["pytorch"]) > 1e-3 * abs(want["pytorch"]),
          f"{ours} vs {want}")
    print(f"self-test: {len(failures)} failure(s)" + (f": {failures}" if failures else ""))
    return 1 if failures else 0


# ------------------------------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]))
    p.add_argument("--self-test", action="store_true",
                   help="BLEU against NLTK's fixtures, the Java fixture (tokenizer, "
                        "vocabularies, rare words, batches), model and decoding checks")
    sub = p.add_subparsers(dest="command")

    def common(q):
        q.add_argument("--data", default="data/ddtp",
                       help="DDTP folder with short/{train,valid,test}.tsv (default data/ddtp)")
        q.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")

    def model_options(q):
        d = DEFAULTS
        q.add_argument("--layers", type=int, help=f"LSTM layers (default {d['layers']})")
        q.add_argument("--hidden", type=int, help=f"LSTM cells per layer (default {d['hidden']})")
        q.add_argument("--embedding", type=int, help=f"embedding size (default {d['embedding']})")
        q.add_argument("--src-vocab", type=int, help=f"source words (default {d['src_vocab']})")
        q.add_argument("--tgt-vocab", type=int, help=f"target words (default {d['tgt_vocab']})")
        q.add_argument("--reverse-source", dest="reverse", action=argparse.BooleanOptionalAction,
                       default=None, help="reverse the source words (default on)")
        q.add_argument("--sn", action=argparse.BooleanOptionalAction, default=None,
                       help="spectral normalization of the LSTMs (and the output layer)")
        q.add_argument("--sn-output", action=argparse.BooleanOptionalAction, default=None,
                       help="with --sn, the output layer too (default on, as Java)")
        q.add_argument("--lr", type=float, help=f"Adam learning rate (default {d['lr']})")
        q.add_argument("--clip", type=float, help=f"gradient L2 norm limit (default {d['clip']})")
        q.add_argument("--adam", choices=["pytorch", "nd4j"],
                       help="Adam's form: torch.optim.Adam (default) or ND4J's, which adds "
                            "epsilon before the bias correction (as DL4J's runs)")
        q.add_argument("--clip-mode", choices=["global", "per-layer"],
                       help="global norm (default, the paper's) or per layer (DL4J's)")
        q.add_argument("--batch-size", type=int, help=f"minibatch (default {d['batch_size']})")
        q.add_argument("--max-len", type=int,
                       help=f"words kept per sentence (default {d['max_len']})")
        q.add_argument("--seed", type=int, help=f"seed (default {d['seed']})")
        q.add_argument("--forget-bias", type=float,
                       help=f"forget gate bias init (default {d['forget_bias']}, DL4J's)")
        q.add_argument("--dropout", type=float,
                       help="dropout rate on embeddings, between layers and before the output "
                            "layer, training only (default 0, the paper's)")
        q.add_argument("--train-sentences", type=int,
                       help="use the first N training pairs only, for smoke runs (default 0: all)")

    t = sub.add_parser("train", help="train; checkpoint every epoch",
                       description="Train the encoder-decoder (Adam); OUT/checkpoint.pt and "
                                   "OUT/train-history.json after every epoch.")
    common(t)
    model_options(t)
    t.add_argument("--out", default="out/translation-twin", help="output folder")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--init-from", metavar="ZIP",
                   help="start from the weights of a DL4J checkpoint (TranslationExample train "
                        "--epochs 0 writes the initial ones; state architecture, no SN, the "
                        "same sizes and split); the Adam state starts at zero as usual")
    t.add_argument("--epochs", type=int, default=8, help="total epochs (default 8)")
    t.add_argument("--log-every", type=int, default=50, help="progress every N batches")
    t.add_argument("--patience", type=int, default=0,
                   help="stop after N epochs without a better greedy validation BLEU (0: run "
                        "all --epochs); OUT/best.pt is always the best epoch's checkpoint")
    t.add_argument("--valid-sentences", type=int, default=300,
                   help="validation sentences for loss and greedy BLEU per epoch (default 300, "
                        "as Java; 0: none)")
    t.set_defaults(func=cmd_train)

    def decoding(q):
        q.add_argument("--length-norm", choices=["none", "average", "gnmt"], default="none",
                       help="beam: length normalization (default none, as Java)")
        q.add_argument("--length-alpha", type=float, default=0.6, help="gnmt alpha (0.6)")

    e = sub.add_parser("eval", help="test BLEU: greedy and beam, raw / rare-word / identity")
    common(e)
    e.add_argument("--checkpoint", default="out/translation-twin/checkpoint.pt")
    e.add_argument("--split", choices=["test", "valid"], default="test")
    e.add_argument("--beam", type=int, default=12, help="beam size; 1: greedy only (default 12)")
    e.add_argument("--limit", type=int, default=0, help="first N sentences only (0: all)")
    e.add_argument("--paragraph-dictionary", action=argparse.BooleanOptionalAction, default=True,
                   help="also score the rare-word step with the dictionary learned from the "
                        "training short descriptions and short/train-paragraphs.tsv (default on)")
    e.add_argument("--out", help="results JSON (default CHECKPOINT folder/eval-SPLIT.json); "
                                 "translations beside it as .tsv")
    decoding(e)
    e.set_defaults(func=cmd_eval)

    g = sub.add_parser("gates", help="how far the LSTMs' gates are switched on a split",
                       description="Per LSTM layer and gate: the pre-activations' rms, mean "
                                   "activation and shares beyond +-3 (teacher-forced, no "
                                   "dropout); the parts x W, h RW and b; the cell states.")
    common(g)
    g.add_argument("--checkpoint", default="out/translation-twin/checkpoint.pt")
    g.add_argument("--split", choices=["test", "valid"], default="valid")
    g.add_argument("--limit", type=int, default=0, help="first N sentences only (0: all)")
    g.add_argument("--out", help="results JSON (default CHECKPOINT folder/gates-SPLIT.json)")
    g.set_defaults(func=cmd_gates)

    rr = sub.add_parser("rare-report", help="what the rare-word step did in an eval TSV")
    rr.add_argument("tsv", help="the .tsv that eval writes beside its JSON (Java or twin)")
    rr.add_argument("--out", help="write the counts as JSON here")
    rr.set_defaults(func=cmd_rare_report)

    r = sub.add_parser("translate", help="translate one English sentence")
    r.add_argument("text")
    r.add_argument("--checkpoint", default="out/translation-twin/checkpoint.pt")
    r.add_argument("--beam", type=int, default=12)
    r.add_argument("--no-rare-word", action="store_true")
    r.add_argument("--threads", type=int, default=1)
    decoding(r)
    r.set_defaults(func=cmd_translate)

    c = sub.add_parser("crosscheck-java",
                       help="compare tokens, vocabularies, dictionary, batches and BLEU with "
                            "the Java classes on the real splits")
    c.add_argument("--data", default="data/ddtp")
    c.add_argument("--classpath", help="ND4J classpath for Example.java")
    c.add_argument("--classpath-file", default=str(ROOT / "dl4j-sn-examples/target/classpath.txt"),
                   help="file holding that classpath (default: the examples module's)")
    c.add_argument("--src-vocab", type=int, default=8000)
    c.add_argument("--tgt-vocab", type=int, default=8000)
    c.add_argument("--max-len", type=int, default=40)
    c.add_argument("--batch-size", type=int, default=64)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--epochs", type=int, default=2, help="epochs of batches compared")
    c.add_argument("--out", help="summary JSON")
    c.add_argument("--write-fixture", help="write the mini-corpus fixture for --self-test here")
    c.set_defaults(func=cmd_crosscheck)

    b = sub.add_parser("bench", help="ms per update over the first batches of epoch 1")
    common(b)
    model_options(b)
    b.add_argument("--updates", type=int, default=20)
    b.add_argument("--warmup", type=int, default=2)
    b.add_argument("--out", help="result JSON")
    b.set_defaults(func=cmd_bench)

    a = p.parse_args(argv)
    if a.self_test:
        return self_test(a)
    if not a.command:
        p.print_help()
        return 2
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
