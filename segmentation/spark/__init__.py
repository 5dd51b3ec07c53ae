"""The course's segmentation on Apache Spark, for customers that outgrow one machine.

:mod:`segmentation.spark.session` starts (or joins) a Spark session: ``local[2]`` here, a
master URL on a cluster. :mod:`segmentation.spark.pipeline` runs the course's path (log,
scaling, k-means) on Spark's MLlib and gives the same :class:`SegmentationModel` as
``segmentation fit``. Both need ``pyspark`` and a Java 17 runtime; importing this package
needs neither.
"""
