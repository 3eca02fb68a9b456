print("keypoints")
