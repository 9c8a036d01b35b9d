/** Training spectrally normalized networks on Apache Spark with DL4J's own Spark training. */
package io.github.dl4jsn.spark;
