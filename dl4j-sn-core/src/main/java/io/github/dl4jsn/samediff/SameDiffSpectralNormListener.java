package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.SpectralNormCore;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs the power iteration of every {@link SpectralNormSameDiffLayer} of a network once per
 * training iteration, on the layer's parameter arrays in place.
 *
 * <p>It iterates right after each update, on the new weights, which is what the next iteration's
 * forward pass would iterate on first; {@link #attach} also iterates once at once, so that the
 * sequence of vectors each forward pass sees is exactly the native wrapper's. Inference between
 * steps sees vectors already iterated on the current weights.
 *
 * <pre>{@code
 * SameDiffSpectralNormListener.attach(net);
 * net.fit(data);
 * }</pre>
 */
public class SameDiffSpectralNormListener extends BaseTrainingListener {

  /** Adds the listener to a network and runs the first iteration's power iteration now. */
  public static SameDiffSpectralNormListener attach(Model model) {
    SameDiffSpectralNormListener l = new SameDiffSpectralNormListener();
    l.iterate(model);
    model.addListeners(l);
    return l;
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    iterate(model);
  }

  /** A layer's core, with the parameter arrays it was bound to. */
  private static final class Bound {
    final SpectralNormCore core;
    final INDArray w;
    final INDArray u;
    final INDArray v;

    Bound(SpectralNormCore core, INDArray w, INDArray u, INDArray v) {
      this.core = core;
      this.w = w;
      this.u = u;
      this.v = v;
    }
  }

  /** The cores, built once per layer (each allocates a W-sized buffer), not once per step. */
  private final Map<Layer, Bound> cores = new IdentityHashMap<>();

  /** Runs one training iteration's power iterations on every SN SameDiff layer of the model. */
  public void iterate(Model model) {
    for (Layer l : layers(model)) {
      if (!(l.conf().getLayer() instanceof SpectralNormSameDiffLayer)) {
        continue;
      }
      SpectralNormSameDiffLayer conf = (SpectralNormSameDiffLayer) l.conf().getLayer();
      if (conf.getPowerIterations() == 0) {
        continue;
      }
      INDArray w = l.getParam(DefaultParamInitializer.WEIGHT_KEY);
      INDArray u = l.getParam(SpectralNormSameDiffLayer.U_KEY);
      INDArray v = l.getParam(SpectralNormSameDiffLayer.V_KEY);
      Bound b = cores.get(l);
      if (b == null || b.w != w || b.u != u || b.v != v) {
        // First use, or the layer's parameter views were replaced: bind the live arrays.
        SpectralNormCore core = conf.core(w);
        core.bind(u, v);
        b = new Bound(core, w, u, v);
        cores.put(l, b);
      }
      b.core.renormalizeU();
      b.core.powerIterate(w, conf.getPowerIterations());
    }
  }

  private static List<Layer> layers(Model model) {
    List<Layer> out = new ArrayList<>();
    if (model instanceof MultiLayerNetwork) {
      out.addAll(List.of(((MultiLayerNetwork) model).getLayers()));
    } else if (model instanceof ComputationGraph) {
      out.addAll(List.of(((ComputationGraph) model).getLayers()));
    }
    return out;
  }
}
