/** Layer implementations that run a wrapped DL4J layer on its spectrally normalized weights. */
package io.github.dl4jsn.layers;
