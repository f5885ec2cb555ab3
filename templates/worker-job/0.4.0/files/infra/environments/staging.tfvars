environment      = "staging"
eks_cluster_name = "platform-staging"
