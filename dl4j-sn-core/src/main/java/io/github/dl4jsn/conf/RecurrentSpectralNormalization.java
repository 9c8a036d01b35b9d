package io.github.dl4jsn.conf;

import io.github.dl4jsn.params.SpectralNormParamInitializer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * A spectrally normalized recurrent layer in the form DL4J's recurrent wrappers need: a {@link
 * BaseRecurrentLayer} holding a {@link SpectralNormalization} of an LSTM, GravesLSTM or SimpleRnn.
 *
 * <p>{@code Bidirectional} and {@code LastTimeStep} accept only {@code BaseRecurrentLayer}s (they
 * read the data format and nIn/nOut through casts), so {@code new
 * Bidirectional(SpectralNormalization.wrap(lstm))} cannot work. Use this form there:
 *
 * <pre>{@code
 * new Bidirectional(SpectralNormalization.wrapRecurrent(new LSTM.Builder().nOut(64).build()))
 * new LastTimeStep(SpectralNormalization.wrapRecurrent(new LSTM.Builder().nOut(64).build()))
 * }</pre>
 *
 * It also works on its own, anywhere {@link SpectralNormalization#wrap} does; the maths, the
 * parameters (uW, vW, uRW, vRW) and the implementation are the same. Network-wide settings
 * (updater, activation, weight init, regularization, gradient normalization, dropout) that DL4J
 * applies to this layer are passed on to the inner layer wherever it has none of its own.
 */
public class RecurrentSpectralNormalization extends BaseRecurrentLayer {

  private static final long serialVersionUID = 1L;

  private SpectralNormalization spectralNormalization;

  /** For JSON deserialization; use {@link SpectralNormalization#wrapRecurrent}. */
  public RecurrentSpectralNormalization() {}

  /**
   * Wraps a spectral normalization of a recurrent layer.
   *
   * @throws DL4JInvalidConfigException if its inner layer is not an LSTM, GravesLSTM or SimpleRnn
   */
  public RecurrentSpectralNormalization(SpectralNormalization spectralNormalization) {
    if (spectralNormalization == null
        || !(spectralNormalization.getUnderlying() instanceof BaseRecurrentLayer)) {
      throw new DL4JInvalidConfigException(
          "RecurrentSpectralNormalization needs a SpectralNormalization of a recurrent layer "
              + "(LSTM, GravesLSTM, SimpleRnn), got "
              + (spectralNormalization == null ? "null" : spectralNormalization.getUnderlying()));
    }
    this.spectralNormalization = spectralNormalization;
    setLayerName(spectralNormalization.getLayerName());
  }

  /** The spectral normalization this layer applies. */
  public SpectralNormalization getSpectralNormalization() {
    passOnGlobalConfig();
    return spectralNormalization;
  }

  public void setSpectralNormalization(SpectralNormalization spectralNormalization) {
    this.spectralNormalization = spectralNormalization;
  }

  /** The wrapped recurrent layer. */
  public BaseRecurrentLayer getUnderlying() {
    return (BaseRecurrentLayer) spectralNormalization.getUnderlying();
  }

  /**
   * Copies the settings DL4J gave this layer into the inner layer where the inner layer has none:
   * DL4J configures {@code Bidirectional}'s and {@code LastTimeStep}'s direct children, and this
   * layer is not a wrapper in DL4J's sense.
   */
  private void passOnGlobalConfig() {
    if (spectralNormalization == null) {
      return;
    }
    BaseLayer inner = getUnderlying();
    if (inner.getIDropout() == null && getIDropout() != null) {
      inner.setIDropout(getIDropout().clone());
    }
    if (isEmpty(inner.getRegularization()) && !isEmpty(getRegularization())) {
      inner.setRegularization(new ArrayList<>(getRegularization()));
    }
    if (isEmpty(inner.getRegularizationBias()) && !isEmpty(getRegularizationBias())) {
      inner.setRegularizationBias(new ArrayList<>(getRegularizationBias()));
    }
    if (inner.getActivationFn() == null) {
      inner.setActivationFn(getActivationFn());
    }
    if (inner.getWeightInitFn() == null) {
      inner.setWeightInitFn(getWeightInitFn());
    }
    if (Double.isNaN(inner.getBiasInit())) {
      inner.setBiasInit(getBiasInit());
    }
    if (Double.isNaN(inner.getGainInit())) {
      inner.setGainInit(getGainInit());
    }
    if (inner.getWeightNoise() == null && getWeightNoise() != null) {
      inner.setWeightNoise(getWeightNoise().clone());
    }
    if (inner.getIUpdater() == null && getIUpdater() != null) {
      inner.setIUpdater(getIUpdater().clone());
    }
    if (inner.getBiasUpdater() == null && getBiasUpdater() != null) {
      inner.setBiasUpdater(getBiasUpdater().clone());
    }
    if (inner.getGradientNormalization() == null) {
      inner.setGradientNormalization(getGradientNormalization());
    }
    if (Double.isNaN(inner.getGradientNormalizationThreshold())) {
      inner.setGradientNormalizationThreshold(getGradientNormalizationThreshold());
    }
  }

  private static boolean isEmpty(List<?> list) {
    return list == null || list.isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // Sizes and format are the inner layer's

  @Override
  public long getNIn() {
    return spectralNormalization == null ? super.getNIn() : getUnderlying().getNIn();
  }

  @Override
  public void setNIn(long nIn) {
    super.setNIn(nIn);
    if (spectralNormalization != null) {
      getUnderlying().setNIn(nIn);
    }
  }

  @Override
  public long getNOut() {
    return spectralNormalization == null ? super.getNOut() : getUnderlying().getNOut();
  }

  @Override
  public void setNOut(long nOut) {
    super.setNOut(nOut);
    if (spectralNormalization != null) {
      getUnderlying().setNOut(nOut);
    }
  }

  @Override
  public RNNFormat getRnnDataFormat() {
    return spectralNormalization == null
        ? super.getRnnDataFormat()
        : getUnderlying().getRnnDataFormat();
  }

  @Override
  public void setLayerName(String layerName) {
    super.setLayerName(layerName);
    if (spectralNormalization != null) {
      spectralNormalization.setLayerName(layerName);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Everything else is the spectral normalization's

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    passOnGlobalConfig();
    return spectralNormalization.instantiate(
        conf, trainingListeners, layerIndex, layerParamsView, initializeParams, networkDataType);
  }

  @Override
  public ParamInitializer initializer() {
    passOnGlobalConfig();
    return SpectralNormParamInitializer.getInstance();
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    return spectralNormalization.getOutputType(layerIndex, inputType);
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    passOnGlobalConfig();
    spectralNormalization.setNIn(inputType, override);
  }

  @Override
  public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
    return spectralNormalization.getPreProcessorForInputType(inputType);
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    passOnGlobalConfig();
    return spectralNormalization.getRegularizationByParam(paramName);
  }

  @Override
  public boolean isPretrainParam(String paramName) {
    return spectralNormalization.isPretrainParam(paramName);
  }

  @Override
  public IUpdater getUpdaterByParam(String paramName) {
    passOnGlobalConfig();
    return spectralNormalization.getUpdaterByParam(paramName);
  }

  @Override
  public LayerMemoryReport getMemoryReport(InputType inputType) {
    return spectralNormalization.getMemoryReport(inputType);
  }

  @Override
  public void setDataType(DataType dataType) {
    super.setDataType(dataType);
    if (spectralNormalization != null) {
      spectralNormalization.setDataType(dataType);
    }
  }

  @Override
  public RecurrentSpectralNormalization clone() {
    RecurrentSpectralNormalization l = (RecurrentSpectralNormalization) super.clone();
    if (spectralNormalization != null) {
      l.spectralNormalization = (SpectralNormalization) spectralNormalization.clone();
    }
    return l;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RecurrentSpectralNormalization)) {
      return false;
    }
    RecurrentSpectralNormalization that = (RecurrentSpectralNormalization) o;
    return Objects.equals(getLayerName(), that.getLayerName())
        && Objects.equals(spectralNormalization, that.spectralNormalization);
  }

  @Override
  public int hashCode() {
    return Objects.hash(getLayerName(), spectralNormalization);
  }

  @Override
  public String toString() {
    return "RecurrentSpectralNormalization(" + spectralNormalization + ")";
  }
}
