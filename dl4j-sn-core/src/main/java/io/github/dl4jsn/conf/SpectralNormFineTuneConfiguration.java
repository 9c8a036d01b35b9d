package io.github.dl4jsn.conf;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;

/**
 * A {@link FineTuneConfiguration} that also reaches spectrally normalized layers.
 *
 * <p>DL4J's {@code FineTuneConfiguration} changes only layers that are {@code BaseLayer}s itself:
 * for a {@link SpectralNormalization} it silently leaves the inner layer's updater, activation,
 * regularization, gradient normalization and so on as they were. This subclass applies the same
 * settings to the layer and then to every inner layer under spectral normalization (also inside
 * Bidirectional, LastTimeStep, FrozenLayerWithBackprop and the like). Use it wherever {@code
 * TransferLearning} takes a fine-tune configuration:
 *
 * <pre>{@code
 * FineTuneConfiguration ftc = new FineTuneConfiguration.Builder().updater(new Sgd(1e-3)).build();
 * MultiLayerNetwork tuned = new TransferLearning.Builder(net)
 *     .fineTuneConfiguration(SpectralNormFineTuneConfiguration.of(ftc))
 *     .setFeatureExtractor(1)
 *     .build();
 * }</pre>
 */
public class SpectralNormFineTuneConfiguration extends FineTuneConfiguration {

  /** For JSON deserialization; use {@link #of}. */
  public SpectralNormFineTuneConfiguration() {}

  /** A copy of {@code ftc}, with every setting, that also reaches spectrally normalized layers. */
  public static SpectralNormFineTuneConfiguration of(FineTuneConfiguration ftc) {
    SpectralNormFineTuneConfiguration out = new SpectralNormFineTuneConfiguration();
    for (Field f : FineTuneConfiguration.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      try {
        f.setAccessible(true);
        f.set(out, f.get(ftc));
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(
            "Cannot copy FineTuneConfiguration." + f.getName() + " (DL4J version change?)", e);
      }
    }
    return out;
  }

  @Override
  public void applyToNeuralNetConfiguration(NeuralNetConfiguration nnc) {
    super.applyToNeuralNetConfiguration(nnc);
    applyToInner(nnc, nnc.getLayer());
  }

  private void applyToInner(NeuralNetConfiguration nnc, Layer layer) {
    SpectralNormalization sn = SpectralNormalization.of(layer);
    if (sn != null) {
      NeuralNetConfiguration inner = nnc.clone();
      inner.setLayer(sn.getUnderlying());
      super.applyToNeuralNetConfiguration(inner);
      if (layer instanceof RecurrentSpectralNormalization) {
        // Its own BaseLayer fields are what it passes on to the inner layer where that has none.
        NeuralNetConfiguration self = nnc.clone();
        self.setLayer(layer);
        super.applyToNeuralNetConfiguration(self);
      }
    } else if (layer instanceof Bidirectional) {
      applyToInner(nnc, ((Bidirectional) layer).getFwd());
      applyToInner(nnc, ((Bidirectional) layer).getBwd());
    } else if (layer instanceof BaseWrapperLayer) {
      applyToInner(nnc, ((BaseWrapperLayer) layer).getUnderlying());
    } else if (layer instanceof FrozenLayer) {
      applyToInner(nnc, ((FrozenLayer) layer).getLayer());
    }
  }
}
