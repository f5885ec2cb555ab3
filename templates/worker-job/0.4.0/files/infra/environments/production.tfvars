environment      = "production"
eks_cluster_name = "platform-production"
