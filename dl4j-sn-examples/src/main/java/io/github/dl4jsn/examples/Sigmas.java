package io.github.dl4jsn.examples;

import io.github.dl4jsn.layers.SpectralNormLayer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** Sigma per spectrally normalized layer of a network, for the examples' logs and plots. */
public final class Sigmas {
  private Sigmas() {}

  /**
   * The sigma estimate of every normalized weight, as inference uses it (from the stored u and v),
   * keyed "layerName/key".
   */
  public static Map<String, Double> of(MultiLayerNetwork net) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Layer l : net.getLayers()) {
      if (l instanceof SpectralNormLayer) {
        SpectralNormLayer sn = (SpectralNormLayer) l;
        for (String key : sn.normalizedKeys()) {
          out.put(l.conf().getLayer().getLayerName() + "/" + key, sn.sigma(key).getDouble());
        }
      }
    }
    return out;
  }
}
