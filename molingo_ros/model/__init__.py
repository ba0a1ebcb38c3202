"""The MoLingo-style text-to-motion model: text encoder, semantic-aligned autoencoder,
masked autoregressive generator with a per-token flow head, streaming sampler (no ROS)."""
