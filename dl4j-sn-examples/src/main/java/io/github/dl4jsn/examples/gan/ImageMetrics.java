package io.github.dl4jsn.examples.gan;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Classifier-based metrics of a set of images: the histogram of the classifier's predicted classes,
 * its KL divergence to the uniform distribution {@code sum p_k log(10 p_k)} (0 when every class is
 * equally frequent, log 10 = 2.30 when all images fall in one class), the share of confident images
 * (top class probability at least {@link #CONFIDENT}), and the Fréchet distance between the images'
 * and the real test images' features in the classifier's 256-unit layer. That is a Fréchet
 * distance on our classifier's features, not Inception FID: its values are not comparable with
 * published FIDs.
 */
public final class ImageMetrics {
  /** The top-class probability from which an image counts as confident. */
  public static final double CONFIDENT = 0.9;

  public final int samples;
  public final int[] histogram;
  public final double klToUniform;
  public final double confidentFraction;
  public final double frechetDistance;

  private ImageMetrics(int samples, int[] histogram, double kl, double confident, double fd) {
    this.samples = samples;
    this.histogram = histogram;
    this.klToUniform = kl;
    this.confidentFraction = confident;
    this.frechetDistance = fd;
  }

  /** The metrics of images [n, 1, 28, 28] against the real test features' statistics. */
  public static ImageMetrics of(INDArray images, ImageClassifier classifier, Frechet.Stats real) {
    INDArray p = classifier.probabilities(images);
    int n = (int) p.size(0);
    int classes = (int) p.size(1);
    int[] predicted = p.argMax(1).toIntVector();
    double[] top = p.max(1).toDoubleVector();
    int[] histogram = new int[classes];
    int confident = 0;
    for (int i = 0; i < n; i++) {
      histogram[predicted[i]]++;
      confident += top[i] >= CONFIDENT ? 1 : 0;
    }
    double fd = Frechet.distance(Frechet.Stats.of(classifier.features(images)), real);
    return new ImageMetrics(n, histogram, klToUniform(histogram), (double) confident / n, fd);
  }

  /** KL(h || uniform) of a histogram of counts; 0 * log 0 counts as 0. */
  public static double klToUniform(int[] histogram) {
    long total = 0;
    for (int c : histogram) {
      total += c;
    }
    double kl = 0;
    for (int c : histogram) {
      if (c > 0) {
        double p = (double) c / total;
        kl += p * Math.log(p * histogram.length);
      }
    }
    return kl;
  }

  /** The number of classes that receive at least 1% of the images. */
  public int classesCovered() {
    int covered = 0;
    for (int c : histogram) {
      covered += c >= 0.01 * samples ? 1 : 0;
    }
    return covered;
  }

  /** The metrics as an ordered map, for JSON. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("samples", samples);
    m.put("class_histogram", histogram);
    m.put("classes_with_at_least_1_percent", classesCovered());
    m.put("kl_to_uniform", klToUniform);
    m.put("confident_fraction", confidentFraction);
    m.put("confidence_threshold", CONFIDENT);
    m.put("frechet_distance_classifier_features", frechetDistance);
    return m;
  }

  @Override
  public String toString() {
    return String.format("classes %d/10, KL to uniform %.4f, confident %.1f%%, "
            + "Fréchet distance (classifier features) %.2f", classesCovered(), klToUniform,
        100 * confidentFraction, frechetDistance);
  }
}
