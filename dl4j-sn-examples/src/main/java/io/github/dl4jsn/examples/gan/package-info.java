/** The SN-GAN example: generators and discriminators, data, metrics and the training loop. */
package io.github.dl4jsn.examples.gan;
