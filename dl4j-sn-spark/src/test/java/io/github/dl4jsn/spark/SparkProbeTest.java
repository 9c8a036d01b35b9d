package io.github.dl4jsn.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class SparkProbeTest {
  @Test
  void sparkStarts() {
    SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("probe")
        .set("spark.driver.host", "127.0.0.1").set("spark.ui.enabled", "false");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      assertThat(sc.parallelize(List.of(1, 2, 3, 4), 2).map(x -> x * 2).reduce(Integer::sum))
          .isEqualTo(20);
    }
  }
}
