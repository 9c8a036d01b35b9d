/**
 * GPU execution of spectral normalization through ND4J's CUDA backend: the core's maths keeps
 * sigma on the device, so the wrapper runs unchanged once {@code nd4j-cuda-11.6} is on the class
 * path (Maven profile {@code -Pcuda}).
 */
package io.github.dl4jsn.cuda;
