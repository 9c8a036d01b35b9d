package io.github.dl4jsn.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.v2.enums.MeshBuildMode;

/**
 * DL4J Spark training masters set up the way they work for SN networks on DL4J M2.1 with the
 * 1.0.0-M2 Spark modules (the last released), on Spark 3.1.2 and Java 17.
 *
 * <p>Both masters train {@code SpectralNormalization} layers unchanged: the layers travel as
 * configuration JSON plus the flat parameter vector, u and v included. Parameter averaging
 * averages u and v with everything else (the averages are slightly shorter than unit, which the
 * layer tolerates and the next step repairs); gradient sharing never shares them (NoOp updater,
 * zero gradient).
 *
 * <p>Every JVM that runs DL4J on Spark here, driver and executors, needs {@link #JAVA_OPTIONS}.
 */
public final class SparkSpectralNormTraining {
  private SparkSpectralNormTraining() {}

  /**
   * The JVM options for Spark 3.1 on Java 17 ({@code --add-opens} for the JDK internals Spark
   * reaches by reflection, as Spark 3.3+ adds itself) and for the parameter server (Aeron's
   * publication unblock timeout above the 30 s client liveness timeout the M2 transport sets).
   */
  public static final String JAVA_OPTIONS = String.join(" ",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
      "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
      "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
      "-Daeron.publication.unblock.timeout=60000000000");

  /**
   * A local Spark context ({@code local[threads]}) bound to the loopback interface, without the
   * web UI: for tests and single-machine runs. The JVM itself must have {@link #JAVA_OPTIONS}.
   */
  public static JavaSparkContext localContext(String appName, int threads) {
    SparkConf conf = new SparkConf()
        .setMaster("local[" + threads + "]")
        .setAppName(appName)
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false");
    return new JavaSparkContext(conf);
  }

  /**
   * Synchronous parameter averaging: each worker fits {@code averagingFrequency} minibatches of
   * {@code batchSizePerWorker} examples, then parameters and updater state are averaged. The RDD
   * holds DataSets of {@code batchSizePerWorker} examples each. No worker prefetch, so the
   * workers consume exactly the given minibatches.
   */
  public static ParameterAveragingTrainingMaster parameterAveraging(
      int batchSizePerWorker, int averagingFrequency) {
    return new ParameterAveragingTrainingMaster.Builder(batchSizePerWorker)
        .batchSizePerWorker(batchSizePerWorker)
        .averagingFrequency(averagingFrequency)
        .workerPrefetchNumBatches(0)
        .rngSeed(12345)
        .build();
  }

  /**
   * Asynchronous gradient sharing (Strom 2015): each executor trains one worker and exchanges
   * threshold-encoded updates over Aeron UDP with the controller at {@code controllerAddress}:
   * {@code port} (open for UDP in and out on every node); each executor announces the address of
   * its interface inside {@code networkMask} (e.g. {@code 10.0.0.0/16}). One worker per
   * executor: with more, DL4J M2.1's ParallelWrapper can deadlock (a replica asks the root model
   * for its updater while worker 0 holds the model's monitor in {@code fit} and waits for that
   * replica). Run more executors instead.
   */
  public static SharedTrainingMaster gradientSharing(
      int batchSizePerWorker, double threshold, String controllerAddress, String networkMask,
      int port) {
    VoidConfiguration voidConfiguration = VoidConfiguration.builder()
        .unicastPort(port)
        .controllerAddress(controllerAddress)
        .networkMask(networkMask)
        .meshBuildMode(MeshBuildMode.PLAIN)
        .build();
    return new SharedTrainingMaster.Builder(voidConfiguration,
        new FixedThresholdAlgorithm(threshold), batchSizePerWorker)
        .batchSizePerWorker(batchSizePerWorker)
        .workersPerNode(1)
        .workerPrefetchNumBatches(0)
        .collectTrainingStats(false)
        .rngSeed(12345)
        .build();
  }

  /** A UDP port that is free on this machine right now, for the parameter server in tests. */
  public static int freeUdpPort() {
    try (DatagramSocket socket = new DatagramSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
