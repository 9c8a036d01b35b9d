package io.github.dl4jsn.examples.translation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One encoded training example and the minibatches built from them.
 *
 * @param source source word indices as fed to the encoder: the words (reversed or not), then
 *     {@code <eos>}
 * @param target target word indices, then {@code <eos>}
 */
public record Example(int[] source, int[] target) {

  /**
   * Encodes a tokenized pair: words outside the vocabularies become {@code <unk>}, each side is
   * cut to {@code maxLen} words and gets {@code <eos>}; the source words are reversed if asked.
   */
  public static Example of(List<String> src, List<String> tgt, Vocabulary srcVocab,
      Vocabulary tgtVocab, boolean reverse, int maxLen) {
    return new Example(encodeSource(src, srcVocab, reverse, maxLen),
        withEos(tgtVocab.encode(tgt.subList(0, Math.min(maxLen, tgt.size())))));
  }

  /** The encoder input for tokenized source words. */
  public static int[] encodeSource(List<String> src, Vocabulary srcVocab, boolean reverse,
      int maxLen) {
    List<String> words = new ArrayList<>(src.subList(0, Math.min(maxLen, src.size())));
    if (reverse) {
      Collections.reverse(words);
    }
    return withEos(srcVocab.encode(words));
  }

  private static int[] withEos(int[] words) {
    int[] out = new int[words.length + 1];
    System.arraycopy(words, 0, out, 0, words.length);
    out[words.length] = Vocabulary.EOS;
    return out;
  }

  /**
   * Minibatches for one epoch: examples shuffled, then sorted by length inside windows of 20
   * batches (so that padding is small), cut into batches, and the batches shuffled.
   */
  public static List<List<Example>> batches(List<Example> examples, int batchSize, Random rng) {
    List<Example> shuffled = new ArrayList<>(examples);
    Collections.shuffle(shuffled, rng);
    List<List<Example>> out = new ArrayList<>();
    int window = batchSize * 20;
    for (int w = 0; w < shuffled.size(); w += window) {
      List<Example> chunk = new ArrayList<>(shuffled.subList(w, Math.min(shuffled.size(),
          w + window)));
      chunk.sort((a, b) -> Integer.compare(a.source.length + a.target.length,
          b.source.length + b.target.length));
      for (int b = 0; b < chunk.size(); b += batchSize) {
        out.add(chunk.subList(b, Math.min(chunk.size(), b + batchSize)));
      }
    }
    Collections.shuffle(out, rng);
    return out;
  }

  /**
   * The minibatch: features {source [b,1,Ts], targetIn [b,1,Tt]} with masks [b,Ts] and [b,Tt],
   * labels [b,1,Tt] (sparse indices) with mask [b,Tt]. Padding is on the right.
   */
  public static MultiDataSet toMultiDataSet(List<Example> batch) {
    int b = batch.size();
    int ts = 0;
    int tt = 0;
    for (Example e : batch) {
      ts = Math.max(ts, e.source.length);
      tt = Math.max(tt, e.target.length);
    }
    float[] src = new float[b * ts];
    float[] srcMask = new float[b * ts];
    float[] tgtIn = new float[b * tt];
    float[] tgtOut = new float[b * tt];
    float[] tgtMask = new float[b * tt];
    for (int i = 0; i < b; i++) {
      Example e = batch.get(i);
      for (int t = 0; t < e.source.length; t++) {
        src[i * ts + t] = e.source[t];
        srcMask[i * ts + t] = 1;
      }
      for (int t = 0; t < e.target.length; t++) {
        tgtIn[i * tt + t] = t == 0 ? Vocabulary.EOS : e.target[t - 1];
        tgtOut[i * tt + t] = e.target[t];
        tgtMask[i * tt + t] = 1;
      }
    }
    INDArray[] features = {
        Nd4j.create(src, new long[] {b, 1, ts}, DataType.FLOAT),
        Nd4j.create(tgtIn, new long[] {b, 1, tt}, DataType.FLOAT)};
    INDArray[] masks = {
        Nd4j.create(srcMask, new long[] {b, ts}, DataType.FLOAT),
        Nd4j.create(tgtMask, new long[] {b, tt}, DataType.FLOAT)};
    INDArray[] labels = {Nd4j.create(tgtOut, new long[] {b, 1, tt}, DataType.FLOAT)};
    INDArray[] labelMasks = {masks[1].dup()};
    return new org.nd4j.linalg.dataset.MultiDataSet(features, labels, masks, labelMasks);
  }
}
