package io.github.dl4jsn.samediff;

import io.github.dl4jsn.math.SpectralNormCore;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

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
      SpectralNormCore core = conf.core(l.getParam(DefaultParamInitializer.WEIGHT_KEY));
      core.bind(l.getParam("uW"), l.getParam("vW"));
      core.renormalizeU();
      core.powerIterate(l.getParam(DefaultParamInitializer.WEIGHT_KEY),
          conf.getPowerIterations());
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
