package io.github.dl4jsn.testutil;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The test loss {@code L = sum(labels * output)}: its gradient with respect to the output is the
 * labels array, so a test can feed any upstream gradient through an output layer.
 */
public class LinearLoss implements ILossFunction {

  private static final long serialVersionUID = 1L;

  @Override
  public double computeScore(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
      boolean average) {
    double score = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
    return average ? score / labels.size(0) : score;
  }

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    INDArray out = activationFn.getActivation(preOutput.dup(), true);
    return out.muli(labels).sum(1).reshape(labels.size(0), 1);
  }

  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    return activationFn.backprop(preOutput.dup(), labels.dup()).getFirst();
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
      boolean average) {
    return new Pair<>(
        computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return "LinearLoss";
  }
}
