// One-step cross-check of the SN-GAN example against its PyTorch twin (docs/gan.md): exports the
// initial weights of G and D (plain, lr 1e-3), a real batch and latent vectors, and the weights
// after one D step and one G step, to /tmp/xc/*.txt. Ad hoc, outside the Maven build:
//   mkdir -p /tmp/xc; CP=dl4j-sn-examples/target/classes:$(cat dl4j-sn-examples/target/classpath.txt)
//   javac -cp $CP -d /tmp/xc benchmarks/crosscheck/Xc.java && java -cp /tmp/xc:$CP Xc
//   /usr/bin/python3 benchmarks/crosscheck/xc.py
import io.github.dl4jsn.examples.gan.*;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import java.io.*;
import java.util.*;
public class Xc {
  static void w(String name, INDArray a) throws IOException {
    INDArray m = a.castTo(DataType.DOUBLE); if (m.rank() == 1) m = m.reshape(1, m.length());
    try (PrintWriter p = new PrintWriter(new File("/tmp/xc/" + name + ".txt"))) {
      for (int i = 0; i < m.rows(); i++) { StringBuilder sb = new StringBuilder();
        for (int j = 0; j < m.columns(); j++) sb.append(j > 0 ? " " : "").append(m.getDouble(i, j)); p.println(sb); }
    }
  }
  static void dump(String prefix, MultiLayerNetwork n) throws IOException {
    Layer[] ls = n.getLayers();
    for (int i = 0; i < ls.length; i++) for (Map.Entry<String, INDArray> e : ls[i].paramTable().entrySet()) w(prefix + i + "_" + e.getKey(), e.getValue());
  }
  public static void main(String[] a) throws Exception {
    Nd4j.getRandom().setSeed(1);
    MultiLayerNetwork g = new MultiLayerNetwork(GanModels.generator2d(2, new Adam(1e-3, 0.5, 0.999, 1e-8), 1)); g.init();
    MultiLayerNetwork d = new MultiLayerNetwork(GanModels.discriminator2d(false, new Adam(1e-3, 0.5, 0.999, 1e-8), 2)); d.init();
    GanTrainer t = new GanTrainer(g, d, 2);
    dump("g0_", g); dump("d0_", d);
    INDArray real = Mixture2D.ring(2, 0.02).sample(256, new Random(1));
    w("real", real);
    // D step with a known z: replicate discriminatorStep
    INDArray z = Nd4j.randn(DataType.FLOAT, 256, 2); w("z", z);
    INDArray fake = g.output(z, true); w("fake", fake);
    INDArray x = Nd4j.vstack(real, fake);
    INDArray y = Nd4j.vstack(Nd4j.ones(DataType.FLOAT, 256, 1), Nd4j.zeros(DataType.FLOAT, 256, 1));
    d.fit(x, y); System.out.println("D loss " + d.score());
    dump("d1_", d); dump("g1_", g);
    // G step with a known z2: replicate generatorStep via trainer after seeding
    Nd4j.getRandom().setSeed(5);
    INDArray z2 = Nd4j.randn(DataType.FLOAT, 256, 2);
    Nd4j.getRandom().setSeed(5);
    t.generatorStep(256);
    w("z2", z2);
    dump("g2_", g);
    System.out.println("G loss " + t.generatorLoss());
  }
}
